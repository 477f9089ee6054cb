// Fuzz: hundreds of seeded mutations of a real checkpoint (written by `alexnet train`, with
// optimizer state) — bytes flipped, truncated, the header length changed, metadata values
// changed, tensor entries changed, removed, renamed or added — each loaded the way the CLI loads
// one (modelFromCheckpoint, then the metadata checked against the model and the optimizer state
// against its parameters). A removed or renamed tensor, a wrong header length, a changed shape,
// dtype or offsets, a truncated file must be refused, the message naming the file and the
// tensor or field; bit flips and metadata changes may load, and then the model holds exactly the
// values the file stores. No crash, no memory growth beyond a bound.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { checkModelFit, checkOptimizerState } from '../../src/io/checkpoint-meta.js';
import { modelFromCheckpoint } from '../../src/io/checkpoint.js';
import { main } from '../../src/node/cli.js';
import { makeOptimizer, readMeta } from '../../src/node/commands/checkpoint.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import type { Tensor } from '../../src/tensor/index.js';
import { writeSyntheticSet } from '../../src/node/demo.js';
import { destroyDevice, initDevice } from '../../src/node/device.js';
import { hasGpu } from '../helpers/adapter.js';
import { badError, FUZZ_SEED, fuzzCases, fuzzTimeout, GARBAGE, replay, reportFuzzCases, Rng } from './fuzz.js';


const NAME = 'fuzzed.safetensors';
const root = mkdtempSync(join(tmpdir(), 'alexnet-fuzz-ckpt-'));
let original: Uint8Array;

/**
 * Loads as the CLI does; throws what the CLI would report. When it loads, returns the tensors
 * (the model's, and the optimizer state's) whose values differ from what the file stores (none,
 * or the loader is wrong).
 */
async function load(bytes: Uint8Array): Promise<string[]> {
  const loaded = modelFromCheckpoint(bytes, NAME);
  try {
    const meta = readMeta(loaded.metadata as Record<string, unknown>, NAME);
    checkModelFit({ classNames: meta.classNames }, { numClasses: loaded.model.config.numClasses }, NAME);
    let optimizer: Optimizer | undefined;
    if (loaded.optimizerState) {
      // as `train --resume` does: the optimizer the metadata names, the state checked, then loaded
      optimizer = makeOptimizer((meta.optimizer ?? 'sgd') as 'sgd' | 'adam' | 'adamw', loaded.model, 0.01);
      const params = loaded.model.namedParameters();
      try {
        checkOptimizerState(loaded.optimizerState, optimizer.stateDict().type, params.map(([n]) => n), NAME, params.map(([, t]) => t.shape));
        optimizer.loadStateDict(loaded.optimizerState);
      } catch (e) {
        optimizer.dispose();
        throw e;
      }
    }
    const stored = storedTensors(bytes);
    // the model's tensors by their names in the file, and the optimizer's state as optim.<key>
    const state: [string, Tensor][] = [
      ...loaded.model.stateDict(),
      ...[...(optimizer?.stateDict().tensors ?? [])].map(([k, t]) => [`optim.${k}`, t as Tensor] as [string, Tensor]),
    ];
    const values = await Promise.all(state.map(([, t]) => t.data()));
    optimizer?.dispose();
    const wrong: string[] = [];
    state.forEach(([name], i) => {
      const want = stored.get(name);
      const got = values[i]!;
      if (!want || want.length !== got.length || !want.every((v, k) => same(v, got[k]!))) wrong.push(name);
    });
    return wrong;
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

/**
 * A mutation and what it must do. 'fail': it must be refused, and the message must name the file
 * and one of `names` (the tensor or field changed; any when empty). 'may-load': it may load —
 * then every tensor of the model holds exactly the value the (mutated) file stores — or fail
 * naming the file and one of `names`.
 */
interface Mutated {
  what: string;
  bytes: Uint8Array;
  must: 'fail' | 'may-load';
  names: string[];
}
type Mutation = (r: Rng, b: Uint8Array) => Mutated;

const MUTATIONS: Mutation[] = [
  // flip bits, mostly in the header: a flip in a tensor's data loads the flipped value
  (r, b) => {
    const c = b.slice();
    const headerEnd = 8 + header(b).length;
    const n = r.int(1, 8);
    for (let i = 0; i < n; i++) c[r.chance(0.8) ? r.int(0, headerEnd - 1) : r.int(0, c.length - 1)] ^= 1 << r.int(0, 7);
    return { what: `${n} bit(s) flipped`, bytes: c, must: 'may-load', names: [] };
  },
  (r, b) => {
    const n = r.int(0, b.length - 1);
    return { what: `truncated to ${n} bytes`, bytes: b.subarray(0, n), must: 'fail', names: ['bytes long', 'header', 'truncated'] };
  },
  // a wrong header length: the header or the data section is misread, and that is caught
  (r, b) => {
    const c = b.slice();
    const v = new DataView(c.buffer);
    const length = header(b).length;
    let lie = r.pick([0, 1, 2 ** 31, 2 ** 32 - 1, c.length, length + r.int(-16, 16)]);
    const high = r.chance(0.2) ? r.int(1, 2 ** 16) : 0;
    if (lie === length && high === 0) lie = length + r.pick([-8, -1, 1, 8]);
    v.setUint32(0, lie >>> 0, true);
    v.setUint32(4, high, true);
    return { what: `header length ${high ? `${high}*2^32+` : ''}${lie} (true: ${length})`, bytes: c, must: 'fail', names: ['header', 'data section', 'tensor "'] };
  },
  // one metadata value replaced, removed, or an unknown key added: unknown keys and unused
  // values may load; a refused one names its key
  (r, b) => {
    const { json } = header(b);
    const meta = { ...(json['__metadata__'] as Record<string, string>) };
    const key = r.pick(Object.keys(meta));
    const how = r.int(0, 9);
    let named = key;
    if (how === 0) delete meta[key];
    else if (how === 1) meta[(named = r.pick(GARBAGE))] = r.pick(GARBAGE);
    else meta[key] = how === 2 ? meta[r.pick(Object.keys(meta))]! : r.pick(GARBAGE);
    return {
      what: `metadata ${named}: ${how === 0 ? 'removed' : JSON.stringify(meta[named]?.slice(0, 40))}`,
      bytes: withHeader(b, { ...json, __metadata__: meta }), must: 'may-load', names: [named, ...tensorNames(json)],
    };
  },
  // a JSON field inside a structured metadata value changed
  (r, b) => {
    const { json } = header(b);
    const meta = { ...(json['__metadata__'] as Record<string, string>) };
    const key = r.pick(['model_config', 'optim_state', 'preprocessing', 'class_names'].filter((k) => meta[k] !== undefined));
    const value = JSON.parse(meta[key]!);
    const values: unknown[] = [null, -1, 0, 0.5, 1e9, 'x', [], {}, [1, 2, 3], true, 'center-crop', 'paper', -0.1];
    let field = key;
    if (Array.isArray(value)) value[r.int(0, value.length)] = r.pick(values);
    else {
      field = r.chance(0.8) ? r.pick(Object.keys(value)) : 'extra';
      value[field] = r.pick(values);
    }
    meta[key] = JSON.stringify(value);
    // the optimizer state's fields are checked against its tensors: such a message names the state
    const names = [key, field, ...(key === 'optim_state' ? ['optimizer state'] : []), ...tensorNames(json)];
    return { what: `metadata ${key} = ${meta[key]!.slice(0, 60)}`, bytes: withHeader(b, { ...json, __metadata__: meta }), must: 'may-load', names };
  },
  // a tensor entry changed: dtype, shape, offsets, removed, renamed, one more: each must fail
  // and name a tensor it concerns, unless the change leaves the entry as it was
  (r, b) => {
    const { json } = header(b);
    const names = Object.keys(json).filter((k) => k !== '__metadata__');
    const name = r.pick(names);
    const old = json[name] as { dtype: string; shape: number[]; data_offsets: number[] };
    const entry = { ...old };
    const out: Record<string, unknown> = { ...json };
    const how = r.int(0, 5);
    let other = name;
    if (how === 0) entry.dtype = r.pick(['F16', 'BF16', 'F64', 'I32', 'U8', 'BOOL', 'F8', 'f32', '']);
    else if (how === 1) entry.shape = r.pick([[], [0], [-1], [2 ** 40], [1.5], [...entry.shape, 1], entry.shape.slice(1), [entry.shape.reduce((a, x) => a * x, 1)]]);
    else if (how === 2) entry.data_offsets = [r.int(0, 2 ** 20), r.int(0, 2 ** 20)];
    else if (how === 3) delete out[name];
    else if (how === 4) {
      delete out[name];
      other = name.replace(/\d+/, (d) => String(Number(d) + r.int(1, 9)));
      out[other] = entry;
    } else out[(other = 'optim.' + r.int(0, 40) + '.' + r.pick(['momentum_buffer', 'exp_avg', 'junk']))] = entry;
    if (how < 3) out[name] = entry;
    const unchanged = (how < 3 && JSON.stringify(entry) === JSON.stringify(old)) || (how === 5 && other === name);
    const change = ['dtype', 'shape', 'data_offsets', 'removed', 'renamed', 'duplicated'][how];
    return {
      what: `tensor ${name}: ${change}${how === 4 || how === 5 ? ` as ${other}` : ''}${how < 3 ? ` ${JSON.stringify(entry[change as keyof typeof entry])}` : ''}`,
      bytes: withHeader(b, out), must: unchanged ? 'may-load' : 'fail',
      // offsets that leave a gap or overlap, and an entry gone (removed, or overwritten by a rename
      // to an existing name) whose bytes are left over, are reported as such: the header names
      // no such tensor any more
      names: [name, other, name.replace(/^optim\./, ''), ...(how >= 2 ? ['gap in the data', 'after the last tensor', 'overlaps'] : [])],
    };
  },
];

/**
 * A metadata change may describe another model (another width, preset, class count): the
 * tensors then do not fit it, and the message names those tensors rather than the field.
 */
function tensorNames(json: Record<string, unknown>): string[] {
  // a message names a tensor as `name:` or, quoted, as `'name'`
  return Object.keys(json).filter((k) => k !== '__metadata__').flatMap((k) => [`${k}:`, `'${k}'`]);
}

/** The tensors of a safetensors file as its header says (F32 only: what a loaded model holds). */
function storedTensors(bytes: Uint8Array): Map<string, Float32Array> {
  const { length, json } = header(bytes);
  const data = bytes.slice(8 + length);
  const out = new Map<string, Float32Array>();
  for (const [name, e] of Object.entries(json)) {
    if (name === '__metadata__') continue;
    const { dtype, data_offsets: [begin, end] } = e as { dtype: string; data_offsets: [number, number] };
    if (dtype === 'F32') out.set(name, new Float32Array(data.buffer.slice(begin, end)));
  }
  return out;
}

const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe.skipIf(!hasGpu)('fuzz: checkpoint mutations load or fail naming the file', () => {
  beforeAll(async () => {
    const set = writeSyntheticSet(join(root, 'data'), { size: 24, perClass: { train: 4, validation: 2, test: 0 }, seed: 2 });
    const io = { stdout: () => {}, stderr: () => {}, isTTY: false };
    const args = ['--model', 'keras-bn', '--input-size', '67', '--width', '0.125', '--batch-size', '8', '--epochs', '1', '--workers', '0', '--verbose', '0'];
    const code = await main(['train', '--data', set.train, '--val', set.validation, '--out', join(root, 'run'), ...args], io);
    expect(code).toBe(0);
    original = new Uint8Array(readFileSync(join(root, 'run', 'last.safetensors'))); // a copy: Buffer.slice would share it
    await initDevice();
  }, 600_000);
  afterAll(() => {
    destroyDevice();
    rmSync(root, { recursive: true, force: true });
  });

  it('the unmutated checkpoint loads, with the values it stores', async () => {
    expect(await load(original)).toEqual([]);
  });

  const n = fuzzCases(600);
  it(`${n} seeded mutations (seed ${FUZZ_SEED}): the ones that must fail fail naming the file and the tensor or field; the rest load the stored values`, { timeout: fuzzTimeout(600_000) }, async () => {
    const r = new Rng(FUZZ_SEED);
    const rssBefore = process.memoryUsage().rss;
    const problems: string[] = [];
    const outcomes = { refused: 0, loaded: 0, mustFail: 0 };
    for (let i = 0; i < n; i++) {
      const m = r.pick(MUTATIONS)(r, original);
      if (m.must === 'fail') outcomes.mustFail++;
      let wrong: string[];
      try {
        wrong = await load(m.bytes);
      } catch (e) {
        outcomes.refused++;
        const message = (e as Error).message;
        const bad = badError(e, NAME);
        if (bad) problems.push(`case ${i} (${m.what}): ${bad}`);
        else if (m.names.length && !m.names.some((x) => message.includes(x))) problems.push(`case ${i} (${m.what}): the message names none of ${JSON.stringify(m.names)}: ${message}`);
        continue;
      }
      outcomes.loaded++;
      if (m.must === 'fail') problems.push(`case ${i} (${m.what}): loaded, but it must be refused`);
      else if (wrong.length) problems.push(`case ${i} (${m.what}): loaded other values than the file stores in ${wrong.join(', ')}`);
    }
    reportFuzzCases('checkpoint', n);
    console.log(`checkpoint fuzz: ${n} cases, ${outcomes.refused} refused, ${outcomes.loaded} loaded, ${outcomes.mustFail} that must fail (seed ${FUZZ_SEED})`);
    expect(problems, replay('test/robustness/checkpoint.fuzz.test.ts')).toEqual([]);
    // both outcomes occur
    expect(outcomes.mustFail).toBeGreaterThan(n / 4);
    expect(outcomes.loaded).toBeGreaterThan(n / 20);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(512 * 2 ** 20);
  });
});
