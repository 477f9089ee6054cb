// Issue 24: memory bounded by the batch, not by the data. `evaluate` (and the validation pass of
// `train`, which is the same function) queued every batch on the GPU without waiting for any:
// each batch's upload stayed alive until the GPU got to it (20,000 tiny images: 2.3 GB on
// lavapipe). `predict` decoded every image before the first batch ran (40 photos of 12 MP: 2 GB).
// Checked by counting, not by timing or RSS: how many batches are read back before the next ones
// are pulled, and how many decoded images are alive when the model runs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { destroyDevice, initDevice } from '../../src/node/device.js';
import { hasGpu } from '../helpers/adapter.js';
import { buildModel, checkpointSaver, DEFAULT_PREPROCESSING, loadCheckpoint } from '../../src/node/commands/checkpoint.js';
import { predictFiles, readImage } from '../../src/node/commands/predict.js';
import { Tensor } from '../../src/tensor/index.js';
import { mulberry32 } from '../../src/tensor/rng.js';
import { compile } from '../../src/train/compile.js';
import { evaluate } from '../../src/train/evaluate.js';
import { fit } from '../../src/train/fit.js';
import type { DataSource } from '../../src/train/model.js';
import { SGD } from '../../src/optim/sgd.js';


const root = mkdtempSync(join(tmpdir(), 'alexnet-memory-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SIZE = 67;

/** Readbacks (Tensor.data()) that have completed since `install`. */
function countReadbacks(): { done: () => number; restore: () => void } {
  const original = Tensor.prototype.data;
  let done = 0;
  Tensor.prototype.data = function (this: Tensor) {
    const p = original.call(this);
    p.then(() => done++, () => {});
    return p;
  } as typeof original;
  return { done: () => done, restore: () => void (Tensor.prototype.data = original) };
}

/** `batches` batches of 4 seeded random images; records, at each pull, how many readbacks had completed. */
function source(batches: number, readbacks: () => number, pulls: number[]): DataSource {
  const rng = mulberry32(9);
  return {
    length: batches * 4,
    classNames: ['a', 'b'],
    sampleShape: [3, SIZE, SIZE],
    async *batches() {
      for (let k = 0; k < batches; k++) {
        pulls.push(readbacks());
        const x = Float32Array.from({ length: 4 * 3 * SIZE * SIZE }, () => rng());
        yield { x, y: Int32Array.from([0, 1, 1, 0]), n: 4 };
      }
    },
  };
}

describe.skipIf(!hasGpu)('memory does not grow with the data (issue 24)', () => {
  beforeAll(async () => {
    await initDevice();
  });
  afterAll(() => destroyDevice());
  const model = () => buildModel({ preset: 'keras-bn', numClasses: 2, inputSize: SIZE, seed: 1, width: 0.125 });

  it('evaluate pulls batch k+2 only after batch k was read back: at most two batches on the GPU', { timeout: 60_000 }, async () => {
    const m = model();
    const reads = countReadbacks();
    const pulls: number[] = [];
    try {
      const r = await evaluate(m, source(8, reads.done, pulls), { batchSize: 4 });
      expect(r.count).toBe(32);
      expect(Number.isFinite(r.loss)).toBe(true);
    } finally {
      reads.restore();
      m.dispose();
    }
    // pull k happens once batch k-2 is read (one readback per batch): pulls[k] >= k - 1
    pulls.forEach((readsBefore, k) => expect(readsBefore, `batch ${k}: ${pulls.join(', ')}`).toBeGreaterThanOrEqual(k - 1));
  });

  it("train's validation pass is bounded the same way", { timeout: 60_000 }, async () => {
    const m = model();
    compile(m, { optimizer: new SGD(m.parameters(), { lr: 0.001 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const reads = countReadbacks();
    const trainPulls: number[] = [];
    const valPulls: number[] = [];
    try {
      await fit(m, source(1, reads.done, trainPulls), { epochs: 1, batchSize: 4, validationData: source(8, reads.done, valPulls), verbose: 0 });
    } finally {
      reads.restore();
      m.dispose();
    }
    const start = valPulls[0]!; // the readbacks of the training step before validation
    valPulls.forEach((readsBefore, k) => expect(readsBefore - start, `batch ${k}: ${valPulls.join(', ')}`).toBeGreaterThanOrEqual(k - 1));
  });

  it('predictFiles decodes a batch at a time: at most --batch-size decoded images are alive', { timeout: 60_000 }, async () => {
    // a counter of decoded images not yet given to the model
    const dir = join(root, 'img');
    mkdirSync(dir);
    const files = Array.from({ length: 22 }, (_, i) => {
      const p = new PNG({ width: 12, height: 10 });
      for (let j = 0; j < p.data.length; j++) p.data[j] = (j * 13 + i * 29) & 255;
      writeFileSync(join(dir, `${i}.png`), PNG.sync.write(p));
      return join(dir, `${i}.png`);
    });
    const path = join(root, 'm.safetensors');
    const built = model();
    await checkpointSaver(built, { preset: 'keras-bn', classNames: ['a', 'b'], inputSize: SIZE, preprocessing: DEFAULT_PREPROCESSING, width: 0.125 })(path, { epoch: 0, logs: {} });
    built.dispose();
    const { model: m, meta } = await loadCheckpoint(path);
    let live = 0;
    let decoded = 0;
    const seen: number[] = [];
    const forward = m.forward.bind(m);
    m.forward = (x) => {
      seen.push(live);
      live = 0; // this batch's images are in x now
      return forward(x);
    };
    const read = (file: string) => {
      live++;
      decoded++;
      return readImage(file);
    };
    const out = await predictFiles(m, meta, files, { batchSize: 4, read });
    expect(out.map((p) => p.file)).toEqual(files);
    expect(decoded).toBe(files.length);
    expect(seen).toEqual([4, 4, 4, 4, 4, 2]);
  });
});
