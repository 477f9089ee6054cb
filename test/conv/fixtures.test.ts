// conv2d against PyTorch: every case in test/fixtures/conv2d.safetensors (forward with
// bias, and dx, dw, db of loss = (y * g).sum()), for every version.
import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/check.js';
import { Tensor, tidy, sum, mul } from '../../src/tensor/index.js';
import { readSafetensorsFile } from '../../src/node/weights-file.js';
import { toFloat32 } from '../../src/io/safetensors.js';
import { conv2d, CONV_VERSIONS, type Conv2dOptions } from '../../src/tensor/ops/conv2d/index.js';

const file = new URL('../fixtures/conv2d.safetensors', import.meta.url).pathname;
const { tensors, metadata } = await readSafetensorsFile(file);
const cases = Object.keys(metadata).filter((k) => /^case\d+$/.test(k)).sort();

function get(name: string): { data: Float32Array; shape: number[] } {
  const t = tensors.get(name);
  if (!t) throw new Error(`fixture ${name} missing`);
  return { data: toFloat32(t, name, file), shape: t.shape };
}

describe.skipIf(!gpu)('conv2d matches PyTorch (conv2d.safetensors)', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThanOrEqual(5));
  for (const name of cases) {
    const meta = JSON.parse(metadata[name]!) as { stride: [number, number]; padding: [number, number]; dilation: [number, number]; groups: number };
    for (const version of CONV_VERSIONS) {
      it(`${name} ${JSON.stringify(meta)} (${version})`, async () => {
        const [x, w, b, y, g, dx, dw, db] = ['x', 'w', 'b', 'y', 'g', 'dx', 'dw', 'db'].map((k) => get(`${name}.${k}`));
        const opts: Conv2dOptions = { ...meta, version };
        const out = await tidy(async () => {
          const X = Tensor.fromArray(x!.data, x!.shape).requiresGrad_();
          const W = Tensor.fromArray(w!.data, w!.shape).requiresGrad_();
          const B = Tensor.fromArray(b!.data, b!.shape).requiresGrad_();
          const Y = conv2d(X, W, B, opts);
          sum(mul(Y, Tensor.fromArray(g!.data, g!.shape))).backward();
          const r = { y: await Y.data(), dx: await X.grad!.data(), dw: await W.grad!.data(), db: await B.grad!.data() };
          for (const t of [X, W, B]) t.grad!.dispose();
          return r;
        });
        expectClose(out.y, y!.data, { atol: 1e-4, name: `${name} y` });
        expectClose(out.dx, dx!.data, { atol: 1e-4, name: `${name} dx` });
        expectClose(out.dw, dw!.data, { atol: 1e-4, name: `${name} dw` });
        expectClose(out.db, db!.data, { atol: 1e-4, name: `${name} db` });
      });
    }
  }
});
