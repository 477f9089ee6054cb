// SPDX-License-Identifier: MIT
// The safetensors format (https://github.com/huggingface/safetensors), read and written exactly:
//
//   [8 bytes]  N, the header length, a little-endian u64
//   [N bytes]  a UTF-8 JSON object:
//                { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, ...,
//                  "__metadata__": { "<key>": "<string value>", ... } }   (optional)
//   [rest]     the byte buffer; data_offsets are relative to its start
//
// Every tensor is stored row-major as raw little-endian bytes. The buffer must be covered
// exactly: no gaps, no overlaps, no trailing bytes. When writing, tensors are sorted by name and
// laid out one after the other, and the header is padded with spaces so that the data starts on
// an 8-byte boundary.
// This file never imports a Node module: it runs in a browser too (see src/node/weights-file.ts
// for reading and writing files).

export type STDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I32' | 'I64' | 'U8' | 'I8' | 'BOOL' | 'U32' | 'I16' | 'U16';

/** One tensor: `data` holds its raw little-endian bytes (a view into the parsed buffer). */
export interface STTensor {
  dtype: STDtype;
  shape: number[];
  data: Uint8Array;
}

export interface STTensorInput {
  dtype: STDtype;
  shape: number[];
  data: ArrayBufferView;
}

/** Any problem with a safetensors file or buffer; the message names the source and the problem. */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

const DTYPE_SIZE: Readonly<Record<STDtype, number>> = {
  F64: 8, I64: 8,
  F32: 4, I32: 4, U32: 4,
  F16: 2, BF16: 2, I16: 2, U16: 2,
  U8: 1, I8: 1, BOOL: 1,
};

const METADATA_KEY = '__metadata__';

// The typed-array views below read and write in the host's byte order; WebGPU and every
// JavaScript host this library targets are little-endian, and the format is little-endian too.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isDtype(value: unknown): value is STDtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZE, value);
}

/** The size in bytes of one element of `dtype`. */
export function dtypeSize(dtype: STDtype): number {
  return DTYPE_SIZE[dtype];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Serializes tensors (sorted by name, contiguous) and optional string metadata into the bytes of
 * a safetensors file.
 */
export function serializeSafetensors(
  tensors: Record<string, STTensorInput>,
  metadata?: Record<string, string>,
): Uint8Array {
  const invalid = (problem: string) => new SafetensorsError(`cannot serialize safetensors: ${problem}`);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') throw invalid(`metadata "${key}" is a ${typeof value}, not a string`);
    }
    header[METADATA_KEY] = metadata;
  }
  const names = Object.keys(tensors).sort();
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY) throw invalid(`"${METADATA_KEY}" is reserved and cannot name a tensor`);
    const { dtype, shape, data } = tensors[name]!;
    if (!isDtype(dtype)) throw invalid(`tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
      throw invalid(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    const byteLength = numelOf(shape) * DTYPE_SIZE[dtype];
    if (data.byteLength !== byteLength) {
      throw invalid(`tensor "${name}" (${dtype} [${shape.join(', ')}]) needs ${byteLength} bytes but its data has ${data.byteLength}`);
    }
    header[name] = { dtype, shape: [...shape], data_offsets: [offset, offset + byteLength] };
    offset += byteLength;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let position = 8 + headerLength;
  for (const name of names) {
    const { data } = tensors[name]!;
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position);
    position += data.byteLength;
  }
  return out;
}

/**
 * Parses the bytes of a safetensors file. Tensor data are views into `bytes` (no copy).
 * `source` (usually the file path) is named in every error message.
 */
export function parseSafetensors(
  bytes: Uint8Array,
  source = '<buffer>',
): { tensors: Map<string, STTensor>; metadata: Record<string, string> } {
  const invalid = (problem: string) => new SafetensorsError(`${source}: not a valid safetensors file: ${problem}`);
  if (bytes.length < 8) throw invalid(`it is ${bytes.length} bytes long, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength > bytes.length - 8) {
    throw invalid(`the header length is ${headerLength} bytes but only ${bytes.length - 8} bytes follow it`);
  }

  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
    header = JSON.parse(text);
  } catch (err) {
    throw invalid(`the header is not valid UTF-8 JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(header)) throw invalid('the header is not a JSON object');

  const metadata: Record<string, string> = {};
  const rawMetadata = header[METADATA_KEY];
  if (rawMetadata !== undefined) {
    if (!isPlainObject(rawMetadata)) throw invalid(`"${METADATA_KEY}" is not an object`);
    for (const [key, value] of Object.entries(rawMetadata)) {
      if (typeof value !== 'string') throw invalid(`metadata "${key}" is not a string`);
      metadata[key] = value;
    }
  }

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const spans: { name: string; begin: number; end: number }[] = [];
  const tensors = new Map<string, STTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    if (!isPlainObject(entry)) throw invalid(`the entry of tensor "${name}" is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (!isDtype(dtype)) throw invalid(`tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
      throw invalid(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
      throw invalid(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const dims: number[] = shape;
    const [begin, end] = offsets as [number, number];
    if (end < begin) throw invalid(`tensor "${name}" has data_offsets [${begin}, ${end}] that end before they begin`);
    const expected = numelOf(dims) * DTYPE_SIZE[dtype];
    if (end - begin !== expected) {
      throw invalid(`tensor "${name}" (${dtype} [${dims.join(', ')}]) needs ${expected} bytes but its data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    if (end > dataLength) {
      throw invalid(`the data is truncated: tensor "${name}" ends at byte ${end} of the data but the data section has only ${dataLength} bytes`);
    }
    spans.push({ name, begin, end });
    tensors.set(name, {
      dtype,
      shape: [...dims],
      data: bytes.subarray(dataStart + begin, dataStart + end),
    });
  }

  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = '';
  for (const { name, begin, end } of spans) {
    if (begin < covered) throw invalid(`tensor "${name}" at bytes [${begin}, ${end}) overlaps tensor "${previous}" which ends at ${covered}`);
    if (begin > covered) throw invalid(`there is a gap in the data: bytes [${covered}, ${begin}) belong to no tensor`);
    covered = end;
    previous = name;
  }
  if (covered !== dataLength) {
    throw invalid(`the data section has ${dataLength - covered} bytes after the last tensor that belong to no tensor`);
  }
  return { tensors, metadata };
}

/** A copy of `data` in a fresh, aligned buffer. */
function alignedCopy(data: Uint8Array): ArrayBuffer {
  const buffer = new ArrayBuffer(data.byteLength);
  new Uint8Array(buffer).set(data);
  return buffer;
}

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/**
 * The values of a floating-point tensor as float32: F32 is copied, F16, BF16 and F64 are
 * converted (F64 rounds to nearest). Integer and boolean tensors are rejected.
 */
export function toFloat32(t: STTensor, name: string, source: string): Float32Array {
  const n = t.data.byteLength / DTYPE_SIZE[t.dtype];
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  switch (t.dtype) {
    case 'F32': {
      if (HOST_IS_LITTLE_ENDIAN) return new Float32Array(alignedCopy(t.data));
      return Float32Array.from({ length: n }, (_, i) => view.getFloat32(4 * i, true));
    }
    case 'F64':
      return Float32Array.from({ length: n }, (_, i) => view.getFloat64(8 * i, true));
    case 'F16':
      return Float32Array.from({ length: n }, (_, i) => halfToFloat(view.getUint16(2 * i, true)));
    case 'BF16': {
      const out = new Float32Array(n);
      const outBits = new DataView(out.buffer);
      for (let i = 0; i < n; i++) outBits.setUint32(4 * i, view.getUint16(2 * i, true) << 16, HOST_IS_LITTLE_ENDIAN);
      return out;
    }
    default:
      throw new SafetensorsError(
        `${source}: tensor "${name}" has dtype ${t.dtype}, but a floating-point tensor (F32, F16, BF16 or F64) is needed`,
      );
  }
}

/**
 * The values of an integer or boolean tensor as int32 (labels, indices). I64, U32 and other
 * values outside the int32 range are rejected; floating-point tensors are rejected.
 */
export function toInt32(t: STTensor, name: string, source: string): Int32Array {
  const n = t.data.byteLength / DTYPE_SIZE[t.dtype];
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const read: ((i: number) => number | bigint) | undefined = {
    I32: (i: number) => view.getInt32(4 * i, true),
    I64: (i: number) => view.getBigInt64(8 * i, true),
    U32: (i: number) => view.getUint32(4 * i, true),
    I16: (i: number) => view.getInt16(2 * i, true),
    U16: (i: number) => view.getUint16(2 * i, true),
    I8: (i: number) => view.getInt8(i),
    U8: (i: number) => view.getUint8(i),
    BOOL: (i: number) => view.getUint8(i),
  }[t.dtype as string];
  if (read === undefined) {
    throw new SafetensorsError(`${source}: tensor "${name}" has dtype ${t.dtype}, but an integer tensor is needed`);
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const value = read(i);
    if (value < -0x80000000 || value > 0x7fffffff) {
      throw new SafetensorsError(`${source}: tensor "${name}" element ${i} (${value}) does not fit in int32`);
    }
    out[i] = Number(value);
  }
  return out;
}
