// Image decoding: JPEG (jpeg-js) and PNG (pngjs) to packed 8-bit RGB.
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import type { RgbImage } from '../../data/image.js';

export type { RgbImage };

/** Thrown for anything that cannot be decoded; the message names the file and the problem. */
export class ImageDecodeError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'ImageDecodeError';
  }
}

/** Refuse images above this size before allocating: a 40 MP RGBA bitmap is already 160 MB. */
const MAX_MEGAPIXELS = 40;
const JPEG_MAX_MEMORY_MB = 512;

/** What the JPEG headers say; used to pick the colour transform and by tests to find odd files. */
export interface JpegInfo {
  progressive: boolean;
  width: number;
  height: number;
  /** Component ids from the frame header, in order (1 = grey, 3 = YCbCr/RGB, 4 = CMYK/YCCK). */
  componentIds: number[];
  /** Transform byte of an Adobe APP14 segment (0 = none, 1 = YCbCr, 2 = YCCK), or undefined without one. */
  adobeTransform: number | undefined;
}

/** Walks the marker segments up to the first scan. Returns undefined if there is no frame header. */
export function jpegInfo(bytes: Uint8Array): JpegInfo | undefined {
  let adobeTransform: number | undefined;
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) return undefined;
    const marker = bytes[pos + 1]!;
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    const len = (bytes[pos + 2]! << 8) | bytes[pos + 3]!;
    const seg = pos + 4;
    if (marker === 0xee && len >= 14 && String.fromCharCode(...bytes.subarray(seg, seg + 5)) === 'Adobe') {
      adobeTransform = bytes[seg + 11];
    }
    // SOF0..SOF15 except DHT (c4), JPG (c8) and DAC (cc).
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof && seg + 6 <= bytes.length) {
      const count = bytes[seg + 5]!;
      const componentIds: number[] = [];
      for (let i = 0; i < count && seg + 6 + i * 3 < bytes.length; i++) componentIds.push(bytes[seg + 6 + i * 3]!);
      // Adobe APP14 always precedes the frame header, so adobeTransform is final here.
      return {
        progressive: marker === 0xc2 || marker === 0xc6 || marker === 0xca || marker === 0xce,
        height: (bytes[seg + 1]! << 8) | bytes[seg + 2]!,
        width: (bytes[seg + 3]! << 8) | bytes[seg + 4]!,
        componentIds,
        adobeTransform,
      };
    }
    if (marker === 0xda) return undefined; // scan before any frame header
    pos += 2 + len;
  }
  return undefined;
}

function decodeJpeg(bytes: Uint8Array, name: string): RgbImage {
  const info = jpegInfo(bytes);
  if (!info) throw new ImageDecodeError(name, 'JPEG has no frame header (truncated or corrupt)');
  const n = info.componentIds.length;
  if (n !== 1 && n !== 3 && n !== 4) throw new ImageDecodeError(name, `JPEG with ${n} components is not supported`);
  // jpeg-js throws on a 4-component file without an Adobe marker; without one, whether it is
  // CMYK or inverted CMYK is a guess, so refuse it clearly instead.
  if (n === 4 && info.adobeTransform === undefined) {
    throw new ImageDecodeError(name, '4-component JPEG without an Adobe APP14 marker (unknown colour space)');
  }
  // jpeg-js applies YCbCr->RGB to every 3-component file, even when an Adobe marker says
  // transform=0 (RGB). Follow libjpeg instead: Adobe transform=0 or component ids 'R','G','B' mean RGB.
  // For 4 components jpeg-js already follows the marker: transform=0 is Photoshop's inverted CMYK,
  // transform=2 is YCCK, and both come out as correct RGB (checked in the tests).
  const rgbIds = n === 3 && info.componentIds.join() === '82,71,66';
  const colorTransform = n === 3 ? !(info.adobeTransform === 0 || (info.adobeTransform === undefined && rgbIds)) : undefined;
  let decoded;
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      colorTransform,
      maxResolutionInMP: MAX_MEGAPIXELS,
      maxMemoryUsageInMB: JPEG_MAX_MEMORY_MB,
    });
  } catch (e) {
    throw new ImageDecodeError(name, `corrupt or unsupported JPEG (${errorText(e)})`);
  }
  return { width: decoded.width, height: decoded.height, data: decoded.data };
}

function decodePng(bytes: Uint8Array, name: string): RgbImage {
  // IHDR is always the first chunk: check the size before pngjs allocates the bitmap.
  if (bytes.length >= 24) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const mp = (view.getUint32(16) * view.getUint32(20)) / 1e6;
    if (mp > MAX_MEGAPIXELS) throw new ImageDecodeError(name, `PNG of ${mp.toFixed(1)} MP exceeds ${MAX_MEGAPIXELS} MP`);
  }
  let png;
  try {
    // pngjs expands palette, grey and 16-bit data to 8-bit RGBA.
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new ImageDecodeError(name, `corrupt or unsupported PNG (${errorText(e)})`);
  }
  const { width, height } = png;
  const rgba = png.data;
  const data = new Uint8Array(width * height * 3);
  // Alpha is dropped, as PIL's convert('RGB') does in Keras's loader, so results match Keras.
  for (let i = 0, j = 0; j < data.length; i += 4, j += 3) {
    data[j] = rgba[i]!;
    data[j + 1] = rgba[i + 1]!;
    data[j + 2] = rgba[i + 2]!;
  }
  return { width, height, data };
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

/** Names of other formats, only to make the error message useful. */
function otherFormat(bytes: Uint8Array): string {
  const head = String.fromCharCode(...bytes.subarray(0, 12));
  if (head.startsWith('GIF8')) return 'GIF';
  if (head.startsWith('BM')) return 'BMP';
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') return 'WebP';
  if (bytes.length === 0) return 'an empty file';
  return 'neither JPEG nor PNG';
}

/**
 * Decodes a JPEG or PNG (detected by magic bytes, not by `name`) to 8-bit RGB.
 * JPEG: baseline and progressive; grey, YCbCr, RGB, Adobe CMYK and YCCK.
 * PNG: every colour type and bit depth; alpha is dropped. `name` is only used in error messages.
 * @throws ImageDecodeError
 */
export function decodeImage(bytes: Uint8Array, name: string): RgbImage {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return decodeJpeg(bytes, name);
  if (startsWith(bytes, PNG_MAGIC)) return decodePng(bytes, name);
  throw new ImageDecodeError(name, `not an image this loader reads (${otherFormat(bytes)})`);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
