// SPDX-License-Identifier: MIT
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  parseSafetensors,
  SafetensorsError,
  serializeSafetensors,
  toFloat32,
  toInt32,
} from '../../src/io/safetensors.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../../src/node/weights-file.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** A safetensors file from a header object (written as given, unpadded) and raw data bytes. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerText = JSON.stringify(header)): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (shape: number[], begin: number) => ({ dtype: 'F32', shape, data_offsets: [begin, begin + 4 * shape.reduce((a, b) => a * b, 1)] });

function expectInvalid(bytes: Uint8Array, pattern: RegExp): void {
  let error: unknown;
  try {
    parseSafetensors(bytes, 'model.safetensors');
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(SafetensorsError);
  expect((error as Error).message).toMatch(/^model\.safetensors: /);
  expect((error as Error).message).toMatch(pattern);
}

describe('serializeSafetensors / parseSafetensors', () => {
  it('round-trips tensors of several dtypes and the metadata', () => {
    const weight = Float32Array.from({ length: 6 }, (_, i) => i * 0.5 - 1);
    const labels = new BigInt64Array([3n, -1n, 7n]);
    const mask = new Uint8Array([1, 0]);
    const bytes = serializeSafetensors(
      {
        'layer.weight': { dtype: 'F32', shape: [2, 3], data: weight },
        labels: { dtype: 'I64', shape: [3], data: labels },
        mask: { dtype: 'BOOL', shape: [2], data: mask },
        scalar: { dtype: 'F64', shape: [], data: new Float64Array([Math.PI]) },
        empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
      },
      { preset: 'paper', class_names: '["cat","dog"]' },
    );
    const { tensors, metadata } = parseSafetensors(bytes);
    expect(metadata).toEqual({ preset: 'paper', class_names: '["cat","dog"]' });
    expect([...tensors.keys()].sort()).toEqual(['empty', 'labels', 'layer.weight', 'mask', 'scalar']);
    expect(tensors.get('layer.weight')!.shape).toEqual([2, 3]);
    expect(toFloat32(tensors.get('layer.weight')!, 'layer.weight', 'x')).toEqual(weight);
    expect(Array.from(toInt32(tensors.get('labels')!, 'labels', 'x'))).toEqual([3, -1, 7]);
    expect(Array.from(toInt32(tensors.get('mask')!, 'mask', 'x'))).toEqual([1, 0]);
    expect(tensors.get('scalar')!.shape).toEqual([]);
    expect(toFloat32(tensors.get('scalar')!, 'scalar', 'x')[0]).toBe(Math.fround(Math.PI));
    expect(tensors.get('empty')!.data.length).toBe(0);
  });

  it('writes the exact layout: u64 length, space-padded sorted header, contiguous data', () => {
    const bytes = serializeSafetensors({
      b: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) },
      a: { dtype: 'I16', shape: [2], data: new Int16Array([-2, 5]) },
    });
    const view = new DataView(bytes.buffer);
    const headerLength = view.getUint32(0, true);
    expect(view.getUint32(4, true)).toBe(0);
    expect(headerLength % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
    expect(text.trimEnd()).toBe(
      '{"a":{"dtype":"I16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[3],"data_offsets":[4,7]}}',
    );
    expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    expect(Array.from(bytes.subarray(8 + headerLength))).toEqual([0xfe, 0xff, 5, 0, 1, 2, 3]);
  });

  it('serializes a view into a larger buffer by its own bytes only', () => {
    const big = new Float32Array([9, 1, 2, 9]);
    const bytes = serializeSafetensors({ x: { dtype: 'F32', shape: [2], data: big.subarray(1, 3) } });
    const x = parseSafetensors(bytes).tensors.get('x')!;
    expect(Array.from(toFloat32(x, 'x', 'x'))).toEqual([1, 2]);
  });

  it('accepts tensors in any order in the header and the data', () => {
    const data = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    const bytes = rawFile({ z: f32([1], 0), a: f32([2], 4) }, data);
    const { tensors, metadata } = parseSafetensors(bytes);
    expect(metadata).toEqual({});
    expect(Array.from(toFloat32(tensors.get('z')!, 'z', 'x'))).toEqual([1]);
    expect(Array.from(toFloat32(tensors.get('a')!, 'a', 'x'))).toEqual([2, 3]);
  });

  it('rejects what cannot be serialized', () => {
    expect(() => serializeSafetensors({ x: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(
      /tensor "x" \(F32 \[3\]\) needs 12 bytes but its data has 8/,
    );
    expect(() => serializeSafetensors({ x: { dtype: 'F32', shape: [-1], data: new Float32Array(0) } })).toThrow(/invalid shape/);
    expect(() => serializeSafetensors({ __metadata__: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } })).toThrow(/reserved/);
    expect(() => serializeSafetensors({}, { n: 3 as unknown as string })).toThrow(/metadata "n" is a number/);
  });
});

describe('parseSafetensors errors name the file and the problem', () => {
  const data = new Uint8Array(8);

  it('file shorter than 8 bytes', () => expectInvalid(new Uint8Array(5), /5 bytes long, shorter than the 8-byte header length/));
  it('header length larger than the file', () => {
    const bytes = rawFile({});
    new DataView(bytes.buffer).setUint32(0, 1000, true);
    expectInvalid(bytes, /header length is 1000 bytes but only 2 bytes follow/);
  });
  it('header length beyond 2^32', () => {
    const bytes = rawFile({});
    new DataView(bytes.buffer).setUint32(4, 1, true);
    expectInvalid(bytes, /header length is 4294967298 bytes/);
  });
  it('header not JSON', () => expectInvalid(rawFile(null, data, '{"x": '), /not valid UTF-8 JSON/));
  it('header not UTF-8', () => {
    const bytes = rawFile(null, new Uint8Array(0), '{}');
    bytes[8] = 0xff;
    expectInvalid(bytes, /not valid UTF-8 JSON/);
  });
  it('header not an object', () => expectInvalid(rawFile([1, 2]), /header is not a JSON object/));
  it('metadata not strings', () => expectInvalid(rawFile({ __metadata__: { a: 1 } }), /metadata "a" is not a string/));
  it('tensor entry not an object', () => expectInvalid(rawFile({ x: 3 }), /entry of tensor "x" is not an object/));
  it('unknown dtype', () => expectInvalid(rawFile({ x: { dtype: 'F8', shape: [2], data_offsets: [0, 2] } }, data), /tensor "x" has unknown dtype "F8"/));
  it('invalid shape', () => expectInvalid(rawFile({ x: { dtype: 'F32', shape: [2.5], data_offsets: [0, 8] } }, data), /tensor "x" has an invalid shape/));
  it('invalid data_offsets', () => expectInvalid(rawFile({ x: { dtype: 'F32', shape: [2], data_offsets: [0] } }, data), /invalid data_offsets/));
  it('offsets that end before they begin', () => expectInvalid(rawFile({ x: { dtype: 'U8', shape: [0], data_offsets: [4, 0] } }, data), /end before they begin/));
  it('shape inconsistent with the dtype size', () =>
    expectInvalid(rawFile({ x: { dtype: 'F64', shape: [2], data_offsets: [0, 8] } }, data), /tensor "x" \(F64 \[2\]\) needs 16 bytes but its data_offsets \[0, 8\] span 8/));
  it('offsets out of range (truncated data)', () =>
    expectInvalid(rawFile({ x: f32([4], 0) }, data), /data is truncated: tensor "x" ends at byte 16 of the data but the data section has only 8 bytes/));
  it('overlapping tensors', () =>
    expectInvalid(rawFile({ a: f32([2], 0), b: f32([1], 4) }, new Uint8Array(12)), /tensor "b" at bytes \[4, 8\) overlaps tensor "a" which ends at 8/));
  it('gaps between tensors', () => expectInvalid(rawFile({ a: f32([1], 0), b: f32([1], 8) }, new Uint8Array(12)), /gap in the data: bytes \[4, 8\)/));
  it('a gap before the first tensor', () => expectInvalid(rawFile({ a: f32([1], 4) }, data), /gap in the data: bytes \[0, 4\)/));
  it('bytes after the last tensor', () => expectInvalid(rawFile({ a: f32([1], 0) }, data), /4 bytes after the last tensor/));
  it('a truncated serialized file', () => {
    const bytes = serializeSafetensors({ w: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
    expectInvalid(bytes.subarray(0, bytes.length - 1), /data is truncated: tensor "w"/);
  });
});

describe('toFloat32 / toInt32', () => {
  const one = (dtype: 'F16' | 'BF16' | 'I32', bytes: number[]) =>
    parseSafetensors(rawFile({ t: { dtype, shape: [bytes.length / (dtype === 'I32' ? 4 : 2)], data_offsets: [0, bytes.length] } }, new Uint8Array(bytes))).tensors.get('t')!;

  it('converts F16 (normal, subnormal, inf, NaN) and BF16', () => {
    // 1.0, -2.5, 65504, smallest subnormal 2^-24, -0, +inf, NaN
    const f16 = one('F16', [0x00, 0x3c, 0x00, 0xc1, 0xff, 0x7b, 0x01, 0x00, 0x00, 0x80, 0x00, 0x7c, 0x01, 0x7e]);
    const values = toFloat32(f16, 't', 'f.safetensors');
    expect(Array.from(values.subarray(0, 6))).toEqual([1, -2.5, 65504, 2 ** -24, -0, Infinity]);
    expect(values[6]).toBeNaN();
    // BF16: 1.0, -3.0 (0xc040), 1.5 (0x3fc0)
    expect(Array.from(toFloat32(one('BF16', [0x80, 0x3f, 0x40, 0xc0, 0xc0, 0x3f]), 't', 'f'))).toEqual([1, -3, 1.5]);
  });

  it('rejects integer tensors for toFloat32 and float tensors for toInt32, naming the file', () => {
    expect(() => toFloat32(one('I32', [1, 0, 0, 0]), 'labels', 'data.safetensors')).toThrow(
      /^data\.safetensors: tensor "labels" has dtype I32, but a floating-point tensor/,
    );
    expect(() => toInt32(one('F16', [0, 0x3c]), 'w', 'data.safetensors')).toThrow(/tensor "w" has dtype F16, but an integer tensor/);
  });

  it('rejects int64 values outside int32', () => {
    const bytes = serializeSafetensors({ t: { dtype: 'I64', shape: [1], data: new BigInt64Array([2n ** 40n]) } });
    expect(() => toInt32(parseSafetensors(bytes).tensors.get('t')!, 't', 'f')).toThrow(/does not fit in int32/);
  });
});

describe('interoperability with the Python safetensors package', () => {
  it('parses a fixture written by scripts/make-fixtures.py (safetensors + torch)', async () => {
    const { tensors, metadata } = parseSafetensors(await readFile(join(FIXTURES, 'softmax_ce.safetensors')));
    expect(metadata.torch_version).toMatch(/^\d+\.\d+/);
    expect(metadata.writer).toMatch(/^safetensors /);
    const labels = tensors.get('ce.labels')!;
    expect(labels.dtype).toBe('I64');
    expect(Array.from(toInt32(labels, 'ce.labels', 'softmax_ce'))).toEqual([3, 0, 4, 1]);
    expect(tensors.get('ce.loss')!.shape).toEqual([]);
    const logits = toFloat32(tensors.get('ce.logits')!, 'ce.logits', 'softmax_ce');
    const loss = toFloat32(tensors.get('ce.loss')!, 'ce.loss', 'softmax_ce')[0]!;
    // recompute the mean cross-entropy from the stored logits in float64
    let total = 0;
    [3, 0, 4, 1].forEach((label, row) => {
      const z = Array.from(logits.subarray(5 * row, 5 * row + 5));
      const max = Math.max(...z);
      total += max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0)) - z[label]!;
    });
    expect(loss).toBeCloseTo(total / 4, 5);
  });
});

describe('readSafetensorsFile / writeSafetensorsFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetensors-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes atomically (no temporary file left) and reads back', async () => {
    const path = join(dir, 'weights.safetensors');
    await writeFile(path, 'old contents');
    const w = new Float32Array([1.5, -2, 3]);
    await writeSafetensorsFile(path, { w: { dtype: 'F32', shape: [3], data: w } }, { preset: 'paper' });
    expect(await readdir(dir)).toEqual(['weights.safetensors']);
    const { tensors, metadata } = await readSafetensorsFile(path);
    expect(metadata).toEqual({ preset: 'paper' });
    expect(toFloat32(tensors.get('w')!, 'w', path)).toEqual(w);
  });

  it('names a missing file', async () => {
    const path = join(dir, 'missing.safetensors');
    await expect(readSafetensorsFile(path)).rejects.toThrow(`${path}: cannot read the weights file: no such file`);
  });

  it('names a corrupt file', async () => {
    const path = join(dir, 'corrupt.safetensors');
    await writeFile(path, 'abc');
    await expect(readSafetensorsFile(path)).rejects.toThrow(`${path}: not a valid safetensors file`);
  });

  it('reports an unwritable target and cleans up', async () => {
    const path = join(dir, 'no-such-dir', 'w.safetensors');
    await expect(writeSafetensorsFile(path, {})).rejects.toThrow(`${path}: cannot write the weights file`);
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
