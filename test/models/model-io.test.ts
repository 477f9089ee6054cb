// saveModel / loadModel / loadWeights: round trips with metadata and optimizer state,
// PyTorch-named files, and every broken-file case fails with the file named and the model untouched.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/check.js';
import { alexnet } from '../../src/models/alexnet.js';
import { loadModel, loadWeights, saveModel } from '../../src/node/model-io.js';
import { writeSafetensorsFile } from '../../src/node/weights-file.js';
import { SGD } from '../../src/optim/index.js';
import { Tensor, tidy } from '../../src/tensor/index.js';
import { softmaxCrossEntropy } from '../../src/tensor/ops/softmax.js';

const dir = mkdtempSync(join(tmpdir(), 'model-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// a small model: torchvision layout at 1/16 width, 63x63 input
const small = (seed: number) => alexnet({ preset: 'torchvision', numClasses: 3, inputSize: 63, width: 1 / 16, seed });

async function weights(m: ReturnType<typeof small>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [n, t] of m.stateDict()) out.set(n, await t.data());
  return out;
}

describe.skipIf(!gpu)('model files', () => {
  it('saveModel → loadModel rebuilds the model from metadata alone, with the optimizer state', async () => {
    const m = small(1);
    const opt = new SGD(m.namedParameters(), { lr: 0.05, momentum: 0.9 });
    const x = Tensor.fromArray(Float32Array.from({ length: 2 * 3 * 63 * 63 }, (_, i) => Math.cos(i)), [2, 3, 63, 63]);
    const y = Tensor.fromArray(new Int32Array([0, 2]));
    tidy(() => softmaxCrossEntropy(m.forward(x), y).backward());
    opt.step();
    const path = join(dir, 'm.safetensors');
    const preprocessing = { resize: 63, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    await saveModel(m, path, { metadata: { classNames: ['a', 'b', 'c'], inputSize: 63, preprocessing, epoch: 4 }, optimizer: opt });
    const { model, metadata, optimizerState } = await loadModel(path);
    expect(metadata.preset).toBe('torchvision');
    expect(metadata.classNames).toEqual(['a', 'b', 'c']);
    expect(metadata.inputSize).toBe(63);
    expect(metadata.preprocessing).toEqual(preprocessing);
    expect(metadata['epoch']).toBe(4);
    expect(model.config).toEqual(m.config);
    const [a, b] = [await weights(m), await weights(model)];
    for (const [n, v] of a) expectClose(b.get(n)!, v, { atol: 0, rtol: 0, name: n });
    // same predictions
    model.eval();
    m.eval();
    const [p1, p2] = await tidy(async () => [await m.forward(x).data(), await model.forward(x).data()]);
    expectClose(p2, p1, { atol: 0, rtol: 0, name: 'logits' });
    // the optimizer resumes with its momentum buffers
    expect(optimizerState!.type).toBe('SGD');
    const opt2 = new SGD(model.namedParameters(), { lr: 1, momentum: 0 });
    opt2.loadStateDict(optimizerState!);
    expect(opt2.lr).toBe(0.05);
    expect(opt2.stepCount).toBe(1);
    const mb = opt.stateDict().tensors.get('0.momentum_buffer') as Tensor;
    const mb2 = opt2.stateDict().tensors.get('0.momentum_buffer') as Tensor;
    expectClose(await mb2.data(), await mb.data(), { atol: 0, rtol: 0, name: 'momentum' });
    for (const t of [x, y]) t.dispose();
    for (const p of m.parameters()) p.grad?.dispose();
    opt.dispose();
    opt2.dispose();
    m.dispose();
    model.dispose();
  });

  it('loadWeights reads a PyTorch-style file (state_dict names, I64 num_batches_tracked ignored, F64 converted)', async () => {
    const src = small(2);
    const tensors: Record<string, { dtype: 'F32' | 'F64' | 'I64'; shape: number[]; data: ArrayBufferView }> = {};
    for (const [n, t] of src.stateDict()) {
      const v = await t.data();
      tensors[n] = n === 'classifier.6.bias' ? { dtype: 'F64', shape: [...t.shape], data: Float64Array.from(v) } : { dtype: 'F32', shape: [...t.shape], data: v };
    }
    tensors['features.0.num_batches_tracked'] = { dtype: 'I64', shape: [], data: new BigInt64Array([5n]) };
    const path = join(dir, 'torch.safetensors');
    await writeSafetensorsFile(path, tensors);
    const dst = small(3);
    await loadWeights(dst, path);
    const [a, b] = [await weights(src), await weights(dst)];
    for (const [n, v] of a) expectClose(b.get(n)!, v, { atol: 0, rtol: 0, name: n });
    await expect(loadModel(path)).rejects.toThrow(/torch\.safetensors: the metadata names no AlexNet preset/);
    src.dispose();
    dst.dispose();
  });

  it('broken files: a clear error naming the file, and the model is not touched', async () => {
    const m = small(4);
    const good = join(dir, 'good.safetensors');
    await saveModel(m, good, { metadata: { classNames: ['a', 'b', 'c'] } });
    const bytes = readFileSync(good);
    const target = small(5);
    const before = await weights(target);
    const cases: [string, Uint8Array | null, RegExp][] = [
      ['truncated', bytes.subarray(0, bytes.length - 100), /truncated\.safetensors/],
      ['header', Uint8Array.from([1, 2, 3]), /header\.safetensors/],
      ['missing', null, /missing\.safetensors/],
    ];
    for (const [name, data, re] of cases) {
      const p = join(dir, `${name}.safetensors`);
      if (data) writeFileSync(p, data);
      await expect(loadWeights(target, p)).rejects.toThrow(re);
      await expect(loadModel(p)).rejects.toThrow(re);
    }
    // unknown dtype: patch the header text
    const text = Buffer.from(bytes);
    const hl = Number(text.readBigUInt64LE(0));
    const header = text.subarray(8, 8 + hl).toString('utf8').replace('"F32"', '"Q32"');
    const patched = Buffer.concat([text.subarray(0, 8), Buffer.from(header), text.subarray(8 + hl)]);
    writeFileSync(join(dir, 'dtype.safetensors'), patched);
    await expect(loadWeights(target, join(dir, 'dtype.safetensors'))).rejects.toThrow(/dtype\.safetensors.*Q32/s);
    // missing, extra and mis-shaped tensors: all reported at once
    const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    for (const [n, t] of m.stateDict()) tensors[n] = { dtype: 'F32', shape: [...t.shape], data: await t.data() };
    delete tensors['features.3.bias'];
    tensors['extra.weight'] = { dtype: 'F32', shape: [1], data: new Float32Array(1) };
    tensors['classifier.6.weight'] = { dtype: 'F32', shape: [3, 7], data: new Float32Array(21) };
    await writeSafetensorsFile(join(dir, 'names.safetensors'), tensors);
    const err = await loadWeights(target, join(dir, 'names.safetensors')).catch((e: Error) => e.message);
    expect(err).toMatch(/names\.safetensors/);
    expect(err).toMatch(/missing: features\.3\.bias/);
    expect(err).toMatch(/unexpected: extra\.weight/);
    expect(err).toMatch(/classifier\.6\.weight: shape \[3, 7\]/);
    const after = await weights(target);
    for (const [n, v] of before) expectClose(after.get(n)!, v, { atol: 0, rtol: 0, name: `${n} untouched` });
    m.dispose();
    target.dispose();
  });
});
