import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { checkOp } from '../helpers/op.js';
import { expectClose, randomArray } from '../helpers/check.js';
import { matmulRef } from '../../src/tensor/reference/matmul.js';
import * as T from '../../src/tensor/index.js';
import type { MatmulVersion } from '../../src/tensor/index.js';

const versions: readonly MatmulVersion[] = T.MATMUL_VERSIONS;

// [m, n, k] — none a multiple of the 32x32 tile; vec4 needs some dims % 4 (checked per case)
const sizes: [number, number, number][] = [
  [1, 4, 4], [3, 17, 5], [17, 8, 12], [65, 36, 20], [33, 129, 64], [129, 68, 3],
  [7, 260, 12], [8, 36, 16], // 5-8 rows: 03 computes all of them in one invocation (RM = 8)
  [131, 257, 21], // crosses 05_tiled's 128x128 tiles and its K step of 8 in every dimension
  [5, 132, 37], [3, 300, 9], // 07_row_stream: 33 / 75 vec4 columns, workgroups of 32, the last one partial
  [21, 264, 8], // 07 as for a weight gradient (K = 8): 3 workgroup rows of 8, the last partial
  [37, 140, 36], [100, 196, 68], // 08/09: 16-row blocks and 64-column subgroups, the last of each partial; several subgroups along M
];

/** 07_row_stream: B as [K, N] (A may be transposed), N a multiple of 4. */
function streamAllowed(n: number, tb: boolean): boolean {
  return !tb && n % 4 === 0;
}

/** 08 and 09: K and N multiples of 4 (Aᵀ is copied into [M, K] rows first). */
function imageAllowed(n: number, k: number): boolean {
  return n % 4 === 0 && k % 4 === 0;
}

function vec4Allowed(m: number, n: number, k: number, ta: boolean, tb: boolean): boolean {
  if (ta && tb) return false;
  if (n % 4 || n < 4) return false;
  if (!ta && k % 4) return false;
  if (ta && (m % 4 || m < 4)) return false;
  if (tb && k % 4) return false;
  return true;
}

describe.skipIf(!gpu)('matmul versions against the float64 reference', () => {
  for (const version of versions) {
    for (const [m, n, k] of sizes) {
      for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as const) {
        if (version === '03_vec4' && !vec4Allowed(m, n, k, ta, tb)) continue;
        if (version === '07_row_stream' && !streamAllowed(n, tb)) continue;
        if ((version === '08_image_operands' || version === '09_subgroup_broadcast') && !imageAllowed(n, k)) continue;
        const name = `${version} m=${m} n=${n} k=${k}${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''}`;
        it(name, async () => {
          const aShape = ta ? [k, m] : [m, k];
          const bShape = tb ? [n, k] : [k, n];
          await checkOp({
            name, shapes: [aShape, bShape],
            gpu: (a, b) => T.matmul(a, b, { transA: ta, transB: tb, version }),
            ref: (a, b) => matmulRef(a, b, 1, m, n, k, { transA: ta, transB: tb }),
            grad: m * n * k < 5000, // finite differences are O(size²): small cases only
            atol: 1e-4,
          });
        });
      }
    }
  }

  it('bias + ReLU epilogue, every version, with gradients', async () => {
    for (const version of versions) {
      const [m, n, k] = [6, 8, 12];
      const tb = version !== '07_row_stream'; // 07 takes B as [K, N] only
      await checkOp({
        name: `${version} bias relu`, shapes: [[m, k], tb ? [n, k] : [k, n], [n]],
        gpu: (a, b, c) => T.matmul(a, b, { transB: tb, bias: c, relu: true, version }),
        ref: (a, b, c) => matmulRef(a, b, 1, m, n, k, { transB: tb, bias: c, relu: true }),
      });
    }
  });

  it('batched matmul', async () => {
    const [z, m, n, k] = [3, 5, 8, 4];
    for (const version of [undefined, '07_row_stream', '08_image_operands', '09_subgroup_broadcast'] as const) {
      await checkOp({
        name: `batched ${version ?? 'default'}`, shapes: [[z, m, k], [z, k, n]],
        gpu: (a, b) => T.matmul(a, b, { version }),
        ref: (a, b) => matmulRef(a, b, z, m, n, k),
      });
    }
  });

  it('07_row_stream refuses what it cannot compute, by name, before any dispatch', () => {
    const [a, b, b6] = [T.zeros([4, 8]), T.zeros([8, 8]), T.zeros([8, 6])];
    const before = gpu!.stats.dispatches;
    expect(() => T.matmul(a, b6, { version: '07_row_stream' })).toThrow(/version '07_row_stream' cannot take this 4x6x8 product: B is not \[K, N\] with rows at multiples of 4/);
    // the old short name is the same version
    expect(() => T.matmul(a, b, { version: 'stream', transB: true })).toThrow(/version '07_row_stream' cannot take .*B is not \[K, N\]/);
    expect(gpu!.stats.dispatches).toBe(before);
  });

  it('03_vec4 refuses a layout that is not 4-aligned, by name, before any dispatch (it read wrong values)', () => {
    const [a, b6, a7, b7] = [T.zeros([4, 8]), T.zeros([8, 6]), T.zeros([4, 7]), T.zeros([7, 8])];
    const before = gpu!.stats.dispatches;
    expect(() => T.matmul(a, b6, { version: '03_vec4' })).toThrow(/version '03_vec4' cannot take this 4x6x8 product: N=6 or C's layout is not a multiple of 4/);
    expect(() => T.matmul(a7, b7, { version: 'vec4' })).toThrow(/version '03_vec4' cannot take .*K=7 or A's rows are not a multiple of 4/);
    expect(gpu!.stats.dispatches).toBe(before);
  });

  it('selectMatmul explains its choice', () => {
    expect(T.selectMatmul({ m: 1024, n: 1024, k: 1024, batch: 1 }).version).toBe('03_vec4');
    const odd = T.selectMatmul({ m: 100, n: 10, k: 37, batch: 1 });
    expect(odd.version).toBe('02_register_blocked');
    expect(odd.why).toMatch(/^02_register_blocked: .*N=10/);
    expect(T.selectMatmul({ m: 2, n: 3, k: 100, batch: 1 }).version).toBe('01_naive');
    // a Linear layer's forward at batch 8: x·Wᵀ with K contiguous in both
    const fc = T.selectMatmul({ m: 8, n: 4096, k: 9216, batch: 1, aSm: 9216, aSk: 1, bSk: 1, bSn: 9216 });
    expect(fc.version).toBe('03_vec4');
    // its data gradient dY·W ([8, 4096]·[4096, 9216]): on a CPU driver with subgroups of 8,
    // 09 with the weight copied into an image (measured faster than 07 there); without them
    // 07 (it reads the big weight once, where 08 would copy it first); not 07 on a GPU
    const fake = (isCpu: boolean, subgroupSize = 8) => ({ info: { isCpu }, features: { subgroups: subgroupSize > 0, subgroupSize } }) as unknown as T.Device;
    const dgrad = { m: 8, n: 9216, k: 4096, batch: 1 };
    // on a CPU driver the forward reads its operands as images (09, with subgroups of 8)
    expect(T.selectMatmul({ m: 8, n: 4096, k: 9216, batch: 1, aSm: 9216, aSk: 1, bSk: 1, bSn: 9216 }, fake(true)).version).toBe('09_subgroup_broadcast');
    expect(T.selectMatmul(dgrad, fake(true)).version).toBe('09_subgroup_broadcast');
    expect(T.selectMatmul(dgrad, fake(true, 0)).version).toBe('07_row_stream');
    expect(T.selectMatmul(dgrad, fake(true, 0)).why).toMatch(/^07_row_stream: 8 rows and a big \[K, N\] B \(144 MiB\) on a CPU driver: .*not 09, because this adapter has no 'subgroups' feature/);
    expect(T.selectMatmul({ ...dgrad, m: 9 }, fake(true)).version).toBe('09_subgroup_broadcast');
    expect(T.selectMatmul({ ...dgrad, n: 256, k: 256 }, fake(true)).version).toBe('09_subgroup_broadcast');
    expect(T.selectMatmul(dgrad, fake(false)).version).not.toBe('07_row_stream');
    // and its weight gradient dYᵀ·X ([4096, 8]ᵀ-stored · [8, 9216]): K = 8, Aᵀ copied into rows for 09
    const wgrad = { m: 4096, n: 9216, k: 8, batch: 1, aSm: 1, aSk: 4096 };
    expect(T.selectMatmul(wgrad, fake(true)).version).toBe('09_subgroup_broadcast');
    // N not a multiple of 4: neither the image kernels nor 07 nor 03 take it
    expect(T.selectMatmul({ ...wgrad, n: 9214 }, fake(true)).version).toBe('02_register_blocked');
    expect(T.selectMatmul({ ...wgrad, k: 6, aSk: 4096 }, fake(true)).version).toBe('07_row_stream');
  });

  it('shape errors name the op and both shapes, before any dispatch', () => {
    const a = T.zeros([3, 4]);
    const b = T.zeros([5, 6]);
    const bias = T.zeros([7]);
    const c = T.zeros([4, 6]);
    const d3 = T.zeros([2, 3, 4]);
    const e3 = T.zeros([3, 4, 5]);
    const before = gpu!.stats.dispatches;
    expect(() => T.matmul(a, b)).toThrow('matmul: inner dimensions differ: [3, 4] · [5, 6] (4 vs 5)');
    expect(() => T.matmul(a, c, { bias })).toThrow(/bias \[7\] does not match 6/);
    expect(() => T.matmul(d3, e3)).toThrow(/batch dimensions differ/);
    expect(gpu!.stats.dispatches).toBe(before);
  });

  it('large random problem: 03_vec4 matches the reference at 1e-4', async () => {
    const [m, n, k] = [96, 132, 260];
    const a = randomArray(m * k, 5);
    const b = randomArray(k * n, 6);
    const c = await T.matmul(T.Tensor.fromArray(Float32Array.from(a), [m, k]), T.Tensor.fromArray(Float32Array.from(b), [k, n]), { version: '03_vec4' }).data();
    expectClose(c, matmulRef(Float64Array.from(Float32Array.from(a)), Float64Array.from(Float32Array.from(b)), 1, m, n, k), { atol: 1e-4 });
  });
});
