// float64 CPU reference for conv2d and its two gradients, written straight from the
// definitions (see docs/conv2d.md). Slow but obviously right; used by the tests and the
// benchmark (on a sample of outputs there).
import type { ConvShape } from '../../src/tensor/ops/conv2d/index.js';

/** y[n, co, oy, ox] = b[co] + sum_{ci, ky, kx} x[n, g*Cg+ci, iy, ix] * w[co, ci, ky, kx] (ReLU if asked). */
export function conv2dRef(s: ConvShape, x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null, relu = false): Float64Array {
  const y = new Float64Array(s.n * s.k * s.oh * s.ow);
  for (let n = 0; n < s.n; n++) {
    for (let co = 0; co < s.k; co++) {
      for (let oy = 0; oy < s.oh; oy++) {
        for (let ox = 0; ox < s.ow; ox++) {
          const i = ((n * s.k + co) * s.oh + oy) * s.ow + ox;
          y[i] = conv2dRefAt(s, x, w, b, n, co, oy, ox, relu);
        }
      }
    }
  }
  return y;
}

/** One output value of the reference (for checking a sample of a big output). */
export function conv2dRefAt(
  s: ConvShape, x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null,
  n: number, co: number, oy: number, ox: number, relu = false,
): number {
  const cg = s.c / s.groups;
  const c0 = Math.floor(co / (s.k / s.groups)) * cg;
  let acc = b ? b[co]! : 0;
  for (let ci = 0; ci < cg; ci++) {
    for (let ky = 0; ky < s.kh; ky++) {
      const iy = oy * s.sh - s.ph + ky * s.dh;
      if (iy < 0 || iy >= s.h) continue;
      for (let kx = 0; kx < s.kw; kx++) {
        const ix = ox * s.sw - s.pw + kx * s.dw;
        if (ix < 0 || ix >= s.w) continue;
        acc += x[((n * s.c + c0 + ci) * s.h + iy) * s.w + ix]! * w[((co * cg + ci) * s.kh + ky) * s.kw + kx]!;
      }
    }
  }
  return relu ? Math.max(acc, 0) : acc;
}

/** dx: scatter every dy * w back to the input position it came from (the forward, transposed). */
export function conv2dDataGradRef(s: ConvShape, dy: ArrayLike<number>, w: ArrayLike<number>): Float64Array {
  const dx = new Float64Array(s.n * s.c * s.h * s.w);
  const cg = s.c / s.groups;
  const kg = s.k / s.groups;
  for (let n = 0; n < s.n; n++) {
    for (let co = 0; co < s.k; co++) {
      const c0 = Math.floor(co / kg) * cg;
      for (let oy = 0; oy < s.oh; oy++) {
        for (let ox = 0; ox < s.ow; ox++) {
          const g = dy[((n * s.k + co) * s.oh + oy) * s.ow + ox]!;
          for (let ci = 0; ci < cg; ci++) {
            for (let ky = 0; ky < s.kh; ky++) {
              const iy = oy * s.sh - s.ph + ky * s.dh;
              if (iy < 0 || iy >= s.h) continue;
              for (let kx = 0; kx < s.kw; kx++) {
                const ix = ox * s.sw - s.pw + kx * s.dw;
                if (ix < 0 || ix >= s.w) continue;
                dx[((n * s.c + c0 + ci) * s.h + iy) * s.w + ix]! += g * w[((co * cg + ci) * s.kh + ky) * s.kw + kx]!;
              }
            }
          }
        }
      }
    }
  }
  return dx;
}

/** dw[co, ci, ky, kx] = sum_{n, oy, ox} dy[n, co, oy, ox] * x[n, g*Cg+ci, iy, ix]. */
export function conv2dWeightGradRef(s: ConvShape, x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  const cg = s.c / s.groups;
  const kg = s.k / s.groups;
  const dw = new Float64Array(s.k * cg * s.kh * s.kw);
  for (let n = 0; n < s.n; n++) {
    for (let co = 0; co < s.k; co++) {
      const c0 = Math.floor(co / kg) * cg;
      for (let oy = 0; oy < s.oh; oy++) {
        for (let ox = 0; ox < s.ow; ox++) {
          const g = dy[((n * s.k + co) * s.oh + oy) * s.ow + ox]!;
          for (let ci = 0; ci < cg; ci++) {
            for (let ky = 0; ky < s.kh; ky++) {
              const iy = oy * s.sh - s.ph + ky * s.dh;
              if (iy < 0 || iy >= s.h) continue;
              for (let kx = 0; kx < s.kw; kx++) {
                const ix = ox * s.sw - s.pw + kx * s.dw;
                if (ix < 0 || ix >= s.w) continue;
                dw[((co * cg + ci) * s.kh + ky) * s.kw + kx]! += g * x[((n * s.c + c0 + ci) * s.h + iy) * s.w + ix]!;
              }
            }
          }
        }
      }
    }
  }
  return dw;
}

/** db[co] = sum_{n, oy, ox} dy[n, co, oy, ox]. */
export function conv2dBiasGradRef(s: ConvShape, dy: ArrayLike<number>): Float64Array {
  const db = new Float64Array(s.k);
  const hw = s.oh * s.ow;
  for (let n = 0; n < s.n; n++) for (let co = 0; co < s.k; co++) for (let j = 0; j < hw; j++) db[co]! += dy[(n * s.k + co) * hw + j]!;
  return db;
}
