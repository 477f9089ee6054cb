// Image decoding: JPEG (jpeg-js's decoder, forked in ./jpeg-decoder.ts to decode progressive
// files with restart intervals) and PNG (pngjs) to packed 8-bit RGB.
import { PNG } from 'pngjs';
import { decode as decodeJpegData } from './jpeg-decoder.js';

import type { RgbImage } from '../../data/image.js';
import { quotePath } from '../quote.js';

export type { RgbImage };

/** Thrown for anything that cannot be decoded; the message names the file and the problem. */
export class ImageDecodeError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${quotePath(file)}: ${reason}`);
    this.name = 'ImageDecodeError';
  }
}

/** Refuse PNGs above this size before allocating: a 40 MP RGBA bitmap is already 160 MB. */
export const PNG_MAX_MEGAPIXELS = 40;
/**
 * Refuse JPEGs above this size, from the frame header, before decoding: 25 MP takes a 24 MP
 * photo (6000x4000). jpeg-js keeps every coefficient block as its own Int32Array, so it needs
 * 13.5 (4:2:0) to 21 (4:4:4) bytes per pixel, which caps what fits JPEG_MAX_MEMORY_MB.
 */
export const JPEG_MAX_MEGAPIXELS = 25;
/** The memory budget of one JPEG decode, as jpeg-js counts it (jpegDecodeBytes); jpeg-js's own default. */
export const JPEG_MAX_MEMORY_MB = 512;

/** What the JPEG headers say; used to pick the colour transform and by tests to find odd files. */
export interface JpegInfo {
  progressive: boolean;
  width: number;
  height: number;
  /** Component ids from the frame header, in order (1 = grey, 3 = YCbCr/RGB, 4 = CMYK/YCCK). */
  componentIds: number[];
  /** Transform byte of an Adobe APP14 segment (0 = none, 1 = YCbCr, 2 = YCCK), or undefined without one. */
  adobeTransform: number | undefined;
  /** Horizontal and vertical sampling factors of each component (1..4), in order. */
  sampling: { h: number; v: number }[];
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
      const sampling: { h: number; v: number }[] = [];
      for (let i = 0; i < count && seg + 6 + i * 3 < bytes.length; i++) {
        componentIds.push(bytes[seg + 6 + i * 3]!);
        const hv = bytes[seg + 7 + i * 3] ?? 0x11;
        sampling.push({ h: hv >> 4 || 1, v: hv & 15 || 1 });
      }
      // Adobe APP14 always precedes the frame header, so adobeTransform is final here.
      return {
        progressive: marker === 0xc2 || marker === 0xc6 || marker === 0xca || marker === 0xce,
        height: (bytes[seg + 1]! << 8) | bytes[seg + 2]!,
        width: (bytes[seg + 3]! << 8) | bytes[seg + 4]!,
        componentIds,
        adobeTransform,
        sampling,
      };
    }
    if (marker === 0xda) return undefined; // scan before any frame header
    pos += 2 + len;
  }
  return undefined;
}

/**
 * The bytes jpeg-js (0.4) allocates, and counts against maxMemoryUsageInMB, to decode this frame
 * to RGB: a 64-int block per 8x8 block of each component (MCU-padded), each component's 8-bit
 * plane, the interleaved components, and the RGB output. From the header alone.
 */
export function jpegDecodeBytes(info: JpegInfo): number {
  const { width, height } = info;
  const maxH = Math.max(1, ...info.sampling.map((s) => s.h));
  const maxV = Math.max(1, ...info.sampling.map((s) => s.v));
  const mcusPerLine = Math.ceil(width / 8 / maxH);
  const mcusPerColumn = Math.ceil(height / 8 / maxV);
  let bytes = 0;
  for (const { h, v } of info.sampling) {
    bytes += mcusPerColumn * v * mcusPerLine * h * 256; // Int32Array(64) blocks
    const blocksPerLine = Math.ceil((Math.ceil(width / 8) * h) / maxH);
    const blocksPerColumn = Math.ceil((Math.ceil(height / 8) * v) / maxV);
    bytes += blocksPerLine * 8 * blocksPerColumn * 8; // the component's plane
  }
  return bytes + width * height * info.sampling.length + width * height * 3;
}

/** The checks made from a JPEG's headers before decoding (a refused file costs microseconds); returns what the decode needs. */
function checkJpeg(bytes: Uint8Array, name: string): { info: JpegInfo; need: number; colorTransform: boolean | undefined } {
  const info = jpegInfo(bytes);
  if (!info) throw new ImageDecodeError(name, 'JPEG has no frame header (truncated or corrupt)');
  const n = info.componentIds.length;
  if (n !== 1 && n !== 3 && n !== 4) throw new ImageDecodeError(name, `JPEG with ${n} components is not supported`);
  if (info.width === 0 || info.height === 0) throw new ImageDecodeError(name, `JPEG of ${info.width}x${info.height} pixels (no image data)`);
  const mp = (info.width * info.height) / 1e6;
  if (mp > JPEG_MAX_MEGAPIXELS) {
    throw new ImageDecodeError(name, `JPEG of ${info.width}x${info.height} (${mp.toFixed(1)} MP) exceeds the ${JPEG_MAX_MEGAPIXELS} MP this loader decodes (docs/data.md)`);
  }
  const need = jpegDecodeBytes(info);
  if (need > JPEG_MAX_MEMORY_MB * 2 ** 20) {
    throw new ImageDecodeError(name, `JPEG of ${info.width}x${info.height} needs ${Math.ceil(need / 2 ** 20)} MB to decode, over the ${JPEG_MAX_MEMORY_MB} MB limit (docs/data.md)`);
  }
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
  return { info, need, colorTransform };
}

function decodeJpeg(bytes: Uint8Array, name: string): RgbImage {
  // Checked from the header before anything is decoded: a refused file costs microseconds.
  const { need, colorTransform } = checkJpeg(bytes, name);
  let decoded;
  try {
    decoded = decodeJpegData(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      colorTransform,
      maxResolutionInMP: JPEG_MAX_MEGAPIXELS,
      // what this header needs plus tables and segments: a file whose scans claim more is stopped early
      maxMemoryUsageInMB: Math.min(JPEG_MAX_MEMORY_MB, Math.ceil(need / 2 ** 20) + 16),
    });
  } catch (e) {
    throw new ImageDecodeError(name, `corrupt or unsupported JPEG (${errorText(e)})`);
  }
  return { width: decoded.width, height: decoded.height, data: decoded.data };
}

/** IHDR is always the first chunk: the size, checked before pngjs allocates the bitmap. */
function checkPng(bytes: Uint8Array, name: string): { width: number; height: number } {
  if (bytes.length < 24) throw new ImageDecodeError(name, 'corrupt or unsupported PNG (no IHDR chunk: truncated)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [width, height] = [view.getUint32(16), view.getUint32(20)];
  const mp = (width * height) / 1e6;
  if (mp > PNG_MAX_MEGAPIXELS) throw new ImageDecodeError(name, `PNG of ${mp.toFixed(1)} MP exceeds the ${PNG_MAX_MEGAPIXELS} MP this loader decodes (docs/data.md)`);
  return { width, height };
}

function decodePng(bytes: Uint8Array, name: string): RgbImage {
  checkPng(bytes, name);
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
/**
 * What decodeImage checks before decoding, alone: the format, the headers and the size limits,
 * in microseconds and without decoding (a file that passes may still have corrupt image data).
 * Returns the image's size. @throws ImageDecodeError
 */
export function checkImageHeader(bytes: Uint8Array, name: string): { width: number; height: number } {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return checkJpeg(bytes, name).info;
  if (startsWith(bytes, PNG_MAGIC)) return checkPng(bytes, name);
  throw new ImageDecodeError(name, `not an image this loader reads (${otherFormat(bytes)})`);
}

export function decodeImage(bytes: Uint8Array, name: string): RgbImage {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return decodeJpeg(bytes, name);
  if (startsWith(bytes, PNG_MAGIC)) return decodePng(bytes, name);
  throw new ImageDecodeError(name, `not an image this loader reads (${otherFormat(bytes)})`);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
