// Autotuning: the selectors use a measured choice for this adapter and problem when the table
// has one (and say so), ignore entries for another adapter or an unknown version, and fall
// back to their rules without a table. The tuner records a step's problems, leaves out the
// versions that cannot run a problem or compute another result, and keeps the fastest.
import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { expectClose, randomArray } from '../helpers/check.js';
import { conv2dRef } from '../../src/tensor/reference/conv2d.js';
import {
  convKey, emptyTuneCache, gemmKey, getTuneCache, setTuneCache, startRecording, stopRecording,
  Tensor, tidy, tuneProblem, validateTuneCache, type RecordedProblem, type TuneCache,
} from '../../src/tensor/index.js';
import { conv2d, convShape, explainConv2d, ruleConv2d, selectConv2d, selectConv2dBackwardWeight } from '../../src/tensor/ops/conv2d/index.js';
import { gemmProblem, selectMatmul } from '../../src/tensor/ops/matmul/index.js';
import { softmaxCrossEntropy } from '../../src/tensor/ops/softmax.js';
import { alexnet } from '../../src/models/alexnet.js';
import { recordTrainProblems } from '../../src/train/autotune-step.js';

describe('autotune table', () => {
  it('validateTuneCache names the source and the first problem', () => {
    expect(() => validateTuneCache([], 'x.json')).toThrow(/x\.json: no "adapters" object|x\.json: format/);
    expect(() => validateTuneCache({ format: 2, adapters: {} }, 'x.json')).toThrow(/x\.json: format 2 is not 1/);
    expect(() => validateTuneCache({ format: 1, adapters: { a: { 'conv2d|k': { choice: 'naive' } } } }, 'x.json'))
      .toThrow(/x\.json: adapter "a", problem "conv2d\|k": needs choice, rule and ms/);
    expect(validateTuneCache(emptyTuneCache())).toEqual({ format: 1, adapters: {} });
  });
});

describe.skipIf(!gpu)('selectors with an autotune table', () => {
  const s = convShape([2, 16, 12, 12], [16, 16, 3, 3], { padding: 1 });
  const table = (adapter: string, choice: string): TuneCache => ({
    format: 1,
    adapters: { [adapter]: { [convKey('conv2d', s)]: { choice, rule: '04_winograd', ms: { [choice]: 1.5, '04_winograd': 3 } } } },
  });

  it('use this adapter\'s measured choice, say so, and compute the same result with it', async () => {
    const rule = ruleConv2d(s, gpu!).version;
    const other = rule === '02_im2col' ? '03_implicit_gemm' : '02_im2col';
    setTuneCache(table(gpu!.describe(), other));
    try {
      const c = selectConv2d(s, gpu!);
      expect(c.version).toBe(other);
      expect(c.why).toMatch(new RegExp(`^${other}: autotuned on this adapter \\(${other} 1\\.50 ms, 04_winograd 3\\.00 ms; the rule would take 04_winograd\\)`));
      expect(explainConv2d(s, gpu!)).toMatch(/autotuned/);
      // the op follows the table (and its result is still the convolution)
      const xv = Float32Array.from(randomArray(2 * 16 * 144, 1));
      const wv = Float32Array.from(randomArray(16 * 16 * 9, 2));
      const y = await tidy(() => conv2d(Tensor.fromArray(xv, [2, 16, 12, 12]), Tensor.fromArray(wv, [16, 16, 3, 3]), null, { padding: 1 })).data();
      expectClose(y, conv2dRef(s, xv, wv, null), { atol: 1e-4, rtol: 1e-4, name: 'tuned conv' });
      // without a device the question is about shapes only: the rule
      expect(selectConv2d(s).version).toBe(ruleConv2d(s).version);
    } finally {
      setTuneCache(null);
    }
  });

  it('read a matmul entry saved under an old short name as its file stem', () => {
    const g = { m: 64, n: 64, k: 64, batch: 1 };
    const key = gemmKey(gemmProblem({ ...g, aOff: 0, aSm: 64, aSk: 1, aSb: 0, bOff: 0, bSk: 64, bSn: 1, bSb: 0, cOff: 0, cSm: 64, cSb: 0,
      alpha: 1, accumulate: false, bias: null, relu: false } as unknown as Parameters<typeof gemmProblem>[0]));
    const rule = selectMatmul(g, gpu!).version;
    const other = rule === '02_register_blocked' ? 'vec4' : 'blocked';
    setTuneCache({ format: 1, adapters: { [gpu!.describe()]: { [key]: { choice: other, rule: 'vec4', ms: { [other]: 1, vec4: 2 } } } } });
    try {
      const c = selectMatmul(g, gpu!);
      expect(c.version).toBe(other === 'vec4' ? '03_vec4' : '02_register_blocked');
      expect(c.why).toMatch(new RegExp(`^${c.version}: autotuned on this adapter \\(${c.version} 1\\.00 ms, 03_vec4 2\\.00 ms; `));
    } finally {
      setTuneCache(null);
    }
  });

  it('ignore another adapter\'s entries, an unknown version, and no table', () => {
    const rule = ruleConv2d(s, gpu!).version;
    for (const t of [table('some other GPU / driver 1.0', '02_im2col'), table(gpu!.describe(), 'fft'), table(gpu!.describe(), 'implicit'), null]) {
      setTuneCache(t);
      expect(selectConv2d(s, gpu!).version).toBe(rule);
    }
    expect(getTuneCache()).toBeNull();
  });
});

describe.skipIf(!gpu)('the tuner', () => {
  it('records every problem of a training step: each conv pass and the fc GEMMs', () => {
    const model = alexnet({ preset: 'paper', numClasses: 2, inputSize: 67, width: 0.125, seed: 1 });
    const problems = recordTrainProblems(model, { batch: 2, inputShape: [3, 67, 67], numClasses: 2 });
    const ops = new Set(problems.map((p) => p.op));
    expect([...ops].sort()).toEqual(['conv2d', 'conv2d.dgrad', 'conv2d.wgrad', 'matmul']);
    // 5 convs forward, 4 data gradients (conv1's input needs none), 5+ weight gradients
    expect(problems.filter((p) => p.op === 'conv2d').length).toBe(5);
    expect(problems.filter((p) => p.op === 'conv2d.dgrad').length).toBe(4);
    expect(new Set(problems.map((p) => p.key)).size).toBe(problems.length);
    for (const p of model.parameters()) expect(p.grad).toBeNull();
    model.dispose();
    // recording is off again
    startRecording();
    expect(stopRecording()).toEqual([]);
  });

  it('times the versions that can run a conv problem and match the rule, and keeps the fastest', async () => {
    const s = convShape([2, 8, 15, 15], [8, 8, 3, 3], { stride: 2, padding: 1 });
    const p: RecordedProblem = { op: 'conv2d.wgrad', key: convKey('conv2d.wgrad', s), shape: s };
    const e = await tuneProblem(gpu!, p, { runs: 1 });
    expect(e.rule).toBe(selectConv2dBackwardWeight(s, gpu!).version);
    expect(Object.keys(e.ms).length).toBeGreaterThanOrEqual(2);
    expect(e.ms['01_naive']).toBeUndefined(); // the naive version is not a candidate (unless the rule picks it)
    expect(e.skipped?.['04_winograd']).toMatch(/stride/);
    const fastest = Object.entries(e.ms).sort((a, b) => a[1] - b[1])[0]![0];
    expect(e.choice).toBe(fastest);
  });

  it('leaves out a GEMM version that cannot take the layout (03_vec4 with N = 6)', async () => {
    const g = gemmProblem({
      m: 5, n: 6, k: 9, batch: 1, aOff: 0, aSm: 9, aSk: 1, aSb: 0, bOff: 0, bSk: 6, bSn: 1, bSb: 0, cOff: 0, cSm: 6, cSb: 0,
      alpha: 1, accumulate: false, bias: null, relu: false,
    } as unknown as Parameters<typeof gemmProblem>[0]);
    const e = await tuneProblem(gpu!, { op: 'matmul', key: gemmKey(g), gemm: g }, { runs: 1, includeNaive: true });
    expect(e.rule).toBe(selectMatmul(g as unknown as Parameters<typeof selectMatmul>[0], gpu!).version);
    expect(e.skipped?.['03_vec4']).toMatch(/version '03_vec4' cannot take this 5x6x9 product/);
    expect(e.ms['01_naive']).toBeGreaterThan(0);
    expect(e.ms['02_register_blocked']).toBeGreaterThan(0);
  });

  it('a tuned step trains like the ruled one (same loss to float tolerance)', async () => {
    const lossOf = async () => {
      const model = alexnet({ preset: 'paper', numClasses: 2, inputSize: 67, width: 0.125, seed: 2 });
      model.eval(); // no dropout: the two runs see the same network
      const x = Tensor.fromArray(Float32Array.from(randomArray(2 * 3 * 67 * 67, 3)), [2, 3, 67, 67]);
      const y = Tensor.fromArray(new Int32Array([0, 1]));
      const l = await tidy(() => softmaxCrossEntropy(model.forward(x), y)).item();
      model.dispose();
      x.dispose();
      y.dispose();
      return l;
    };
    const ruled = await lossOf();
    // every forward conv forced to a version other than the rule's, through the table
    const model = alexnet({ preset: 'paper', numClasses: 2, inputSize: 67, width: 0.125, seed: 2 });
    const problems = recordTrainProblems(model, { batch: 2, inputShape: [3, 67, 67], numClasses: 2 });
    model.dispose();
    const entries: TuneCache['adapters'][string] = {};
    for (const p of problems) {
      if (p.op !== 'conv2d') continue;
      const rule = ruleConv2d(p.shape as never, gpu!).version;
      entries[p.key] = { choice: rule === '03_implicit_gemm' ? '02_im2col' : '03_implicit_gemm', rule, ms: {} };
    }
    setTuneCache({ format: 1, adapters: { [gpu!.describe()]: entries } });
    try {
      for (const p of problems) if (p.op === 'conv2d') expect(selectConv2d(p.shape as never, gpu!).version).toBe(entries[p.key]!.choice);
      expect(Math.abs((await lossOf()) - ruled)).toBeLessThan(1e-4 * Math.max(1, Math.abs(ruled)));
    } finally {
      setTuneCache(null);
    }
  });
});
