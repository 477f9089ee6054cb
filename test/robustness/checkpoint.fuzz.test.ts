// Fuzz: hundreds of seeded mutations of a real checkpoint (written by `alexnet train`, with
// optimizer state) — bytes flipped, truncated, header fields changed, metadata values changed —
// each loaded the way the CLI loads one (modelFromCheckpoint, then the metadata checked against
// the model and the optimizer state against its parameters). The only acceptable outcomes:
// success, or an Error that names the file. No crash, no case over its time limit, no memory
// growth beyond a bound.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { checkModelFit, checkOptimizerState } from '../../src/io/checkpoint-meta.js';
import { modelFromCheckpoint } from '../../src/io/checkpoint.js';
import { main } from '../../src/node/cli.js';
import { readMeta } from '../../src/node/commands/checkpoint.js';
import { writeSyntheticSet } from '../../src/node/demo.js';
import { destroyDevice, initDevice } from '../../src/node/device.js';
import { badError, FUZZ_SEED, fuzzCases, fuzzTimeout, GARBAGE, Rng } from './fuzz.js';

let hasGpu = false;
try {
  await initDevice();
  hasGpu = true;
} catch (e) {
  if (process.env.CI) throw e;
} finally {
  destroyDevice();
}

const NAME = 'fuzzed.safetensors';
const root = mkdtempSync(join(tmpdir(), 'alexnet-fuzz-ckpt-'));
let original: Uint8Array;

/** Loads as the CLI does; throws what the CLI would report. */
function load(bytes: Uint8Array): void {
  const loaded = modelFromCheckpoint(bytes, NAME);
  try {
    const meta = readMeta(loaded.metadata as Record<string, unknown>, NAME);
    checkModelFit({ classNames: meta.classNames }, { numClasses: loaded.model.config.numClasses }, NAME);
    if (loaded.optimizerState) {
      const names = loaded.model.namedParameters().map(([n]) => n);
      checkOptimizerState(loaded.optimizerState, loaded.optimizerState.type, names, NAME);
    }
  } finally {
    loaded.model.dispose();
  }
}

function header(bytes: Uint8Array): { length: number; json: Record<string, unknown> } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(0, true);
  return { length, json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) };
}

/** The file with a new header (length prefix right unless `lie`), tensor data unchanged. */
function withHeader(bytes: Uint8Array, json: Record<string, unknown>, lie = 0): Uint8Array {
  const { length } = header(bytes);
  const text = new TextEncoder().encode(JSON.stringify(json));
  const out = new Uint8Array(8 + text.length + bytes.length - 8 - length);
  const view = new DataView(out.buffer);
  view.setUint32(0, text.length + lie, true);
  out.set(text, 8);
  out.set(bytes.subarray(8 + length), 8 + text.length);
  return out;
}

type Mutation = (r: Rng, b: Uint8Array) => { what: string; bytes: Uint8Array };

const MUTATIONS: Mutation[] = [
  // flip bytes, mostly in the header
  (r, b) => {
    const c = b.slice();
    const headerEnd = 8 + header(b).length;
    const n = r.int(1, 8);
    for (let i = 0; i < n; i++) c[r.chance(0.8) ? r.int(0, headerEnd - 1) : r.int(0, c.length - 1)] ^= 1 << r.int(0, 7);
    return { what: `${n} bit(s) flipped`, bytes: c };
  },
  (r, b) => {
    const n = r.int(0, b.length - 1);
    return { what: `truncated to ${n} bytes`, bytes: b.subarray(0, n) };
  },
  (r, b) => {
    const c = b.slice();
    const v = new DataView(c.buffer);
    const lie = r.pick([0, 1, 2 ** 31, 2 ** 32 - 1, c.length, header(b).length + r.int(-16, 16)]);
    v.setUint32(0, lie >>> 0, true);
    v.setUint32(4, r.chance(0.2) ? r.int(1, 2 ** 16) : 0, true);
    return { what: `header length ${lie}`, bytes: c };
  },
  // one metadata value replaced, removed, or an unknown key added
  (r, b) => {
    const { json } = header(b);
    const meta = { ...(json['__metadata__'] as Record<string, string>) };
    const key = r.pick(Object.keys(meta));
    const how = r.int(0, 9);
    if (how === 0) delete meta[key];
    else if (how === 1) meta[r.pick(GARBAGE)] = r.pick(GARBAGE);
    else meta[key] = how === 2 ? meta[r.pick(Object.keys(meta))]! : r.pick(GARBAGE);
    return { what: `metadata ${key}: ${how === 0 ? 'removed' : JSON.stringify(meta[key]?.slice(0, 40))}`, bytes: withHeader(b, { ...json, __metadata__: meta }) };
  },
  // a JSON field inside a structured metadata value changed
  (r, b) => {
    const { json } = header(b);
    const meta = { ...(json['__metadata__'] as Record<string, string>) };
    const key = r.pick(['model_config', 'optim_state', 'preprocessing', 'class_names'].filter((k) => meta[k] !== undefined));
    const value = JSON.parse(meta[key]!);
    const values: unknown[] = [null, -1, 0, 0.5, 1e9, 'x', [], {}, [1, 2, 3], true, 'center-crop', 'paper', -0.1];
    if (Array.isArray(value)) value[r.int(0, value.length)] = r.pick(values);
    else {
      const field = r.chance(0.8) ? r.pick(Object.keys(value)) : 'extra';
      value[field] = r.pick(values);
    }
    meta[key] = JSON.stringify(value);
    return { what: `metadata ${key} = ${meta[key]!.slice(0, 60)}`, bytes: withHeader(b, { ...json, __metadata__: meta }) };
  },
  // a tensor entry changed: dtype, shape, offsets, removed, renamed
  (r, b) => {
    const { json } = header(b);
    const names = Object.keys(json).filter((k) => k !== '__metadata__');
    const name = r.pick(names);
    const entry = { ...(json[name] as { dtype: string; shape: number[]; data_offsets: number[] }) };
    const out: Record<string, unknown> = { ...json };
    const how = r.int(0, 5);
    if (how === 0) entry.dtype = r.pick(['F16', 'BF16', 'F64', 'I32', 'U8', 'BOOL', 'F8', 'f32', '']);
    else if (how === 1) entry.shape = r.pick([[], [0], [-1], [2 ** 40], [1.5], [...entry.shape, 1], entry.shape.slice(1), [entry.shape.reduce((a, x) => a * x, 1)]]);
    else if (how === 2) entry.data_offsets = [r.int(0, 2 ** 20), r.int(0, 2 ** 20)];
    else if (how === 3) delete out[name];
    else if (how === 4) {
      delete out[name];
      out[name.replace(/\d+/, (d) => String(Number(d) + r.int(1, 9)))] = entry;
    } else out['optim.' + r.int(0, 40) + '.' + r.pick(['momentum_buffer', 'exp_avg', 'junk'])] = entry;
    if (how < 3) out[name] = entry;
    return { what: `tensor ${name}: change ${how}`, bytes: withHeader(b, out) };
  },
];

describe.skipIf(!hasGpu)('fuzz: checkpoint mutations load or fail naming the file', () => {
  beforeAll(async () => {
    const set = writeSyntheticSet(join(root, 'data'), { size: 24, perClass: { train: 4, validation: 2, test: 0 }, seed: 2 });
    const io = { stdout: () => {}, stderr: () => {}, isTTY: false };
    const args = ['--model', 'keras-bn', '--input-size', '67', '--width', '0.125', '--batch-size', '8', '--epochs', '1', '--workers', '0', '--verbose', '0'];
    const code = await main(['train', '--data', set.train, '--val', set.validation, '--out', join(root, 'run'), ...args], io);
    expect(code).toBe(0);
    original = new Uint8Array(readFileSync(join(root, 'run', 'last.safetensors'))); // a copy: Buffer.slice would share it
    await initDevice();
  }, 120_000);
  afterAll(() => {
    destroyDevice();
    rmSync(root, { recursive: true, force: true });
  });

  it('the unmutated checkpoint loads', () => {
    expect(() => load(original)).not.toThrow();
  });

  const n = fuzzCases(240);
  it(`${n} seeded mutations (seed ${FUZZ_SEED})`, { timeout: fuzzTimeout(60000) }, () => {
    const r = new Rng(FUZZ_SEED);
    const rssBefore = process.memoryUsage().rss;
    const problems: string[] = [];
    let failures = 0;
    for (let i = 0; i < n; i++) {
      const { what, bytes } = r.pick(MUTATIONS)(r, original);
      const t = performance.now();
      try {
        load(bytes);
      } catch (e) {
        failures++;
        const bad = badError(e, NAME);
        if (bad) problems.push(`case ${i} (${what}): ${bad}`);
      }
      const ms = performance.now() - t;
      if (ms > 2000) problems.push(`case ${i} (${what}): took ${ms.toFixed(0)} ms`);
    }
    expect(problems).toEqual([]);
    // most mutations must be caught, some (flips in tensor data) load
    expect(failures).toBeGreaterThan(n / 3);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(512 * 2 ** 20);
  });
});
