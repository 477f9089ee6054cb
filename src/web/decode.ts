// SPDX-License-Identifier: MIT
// Image decoding with the browser's own decoders (createImageBitmap + OffscreenCanvas; works in
// a page and in a worker) to the core's RgbImage. No jpeg-js/pngjs in the browser.
import type { RgbImage } from '../data/image.js';

/** RGBA bytes (canvas ImageData order) to RGB; alpha is dropped, as the Node decoders do. */
export function rgbaToRgb(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): RgbImage {
  const n = width * height;
  if (rgba.length !== n * 4) throw new Error(`rgbaToRgb: ${rgba.length} bytes for a ${width}x${height} RGBA image, expected ${n * 4}`);
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[3 * i] = rgba[4 * i]!;
    data[3 * i + 1] = rgba[4 * i + 1]!;
    data[3 * i + 2] = rgba[4 * i + 2]!;
  }
  return { width, height, data };
}

/** The pixels of an ImageBitmap (or a canvas, video frame ...) as RGB. */
export function bitmapToRgb(source: CanvasImageSource & { width: number; height: number }, width = source.width, height = source.height): RgbImage {
  if (!(width > 0 && height > 0)) throw new Error(`decodeImage: the image has no pixels (${width}x${height})`);
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('decodeImage: this browser gives no 2D context for OffscreenCanvas');
  ctx.drawImage(source, 0, 0, width, height);
  return rgbaToRgb(ctx.getImageData(0, 0, width, height).data, width, height);
}

/**
 * Decodes an image file (JPEG, PNG, WebP, GIF, BMP: whatever the browser decodes) to RGB,
 * without colour-space conversion or premultiplied alpha, so the bytes are the file's.
 * `name` is used in the error.
 */
export async function decodeImage(blob: Blob, name = (blob as File).name ?? 'image'): Promise<RgbImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    throw new Error(`${name}: the browser cannot decode this image (${(e as Error).message || (e as Error).name})`);
  }
  try {
    return bitmapToRgb(bitmap);
  } finally {
    bitmap.close();
  }
}
