// SPDX-License-Identifier: MIT
// Elementwise ops (unary, binary with broadcasting, in-place axpy), constant and random
// fills, each with its backward rule. Kernels: src/kernels/wgsl/elementwise/, init/.

import { getDevice, type Device } from '../device.js';
import { fmtShape, record, Tensor, type DType, type Shape } from '../tensor.js';
import { sumToShape } from './reduce.js';
import { assertFloat, assertSameDevice, bind, flatChunks, grid, pack8, range, sameShape } from './util.js';

// ---- unary ---------------------------------------------------------------------------------

/** Function numbers of elementwise/unary.wgsl. */
export const UNARY = {
  neg: 0, relu: 1, exp: 2, log: 3, sqrt: 4, pow: 5, sigmoid: 6, tanh: 7, abs: 8,
  scaleShift: 9, square: 10, reciprocal: 11, fill: 12,
} as const;

function unaryRaw(op: keyof typeof UNARY, x: Tensor, alpha = 0, beta = 0): Tensor {
  assertFloat(op, x);
  const d = x.device;
  const y = Tensor.empty(x.shape, 'float32', d);
  for (const [s, n] of flatChunks(d, x.size)) {
    d.dispatch('elementwise/unary.wgsl', [range(x, s, n), range(y, s, n)],
      [{ u: n }, { f: alpha }, { f: beta }, { u: 0 }], grid(n), { OP: UNARY[op] });
  }
  return y;
}

export function neg(x: Tensor): Tensor {
  return record(unaryRaw('neg', x), 'neg', [x], (g) => [neg(g)]);
}

export function relu(x: Tensor): Tensor {
  return record(unaryRaw('relu', x), 'relu', [x], (g) => [reluBackward(g, x)]);
}

export function exp(x: Tensor): Tensor {
  const y = unaryRaw('exp', x);
  return record(y, 'exp', [x], (g) => [mul(g, y)]);
}

export function log(x: Tensor): Tensor {
  return record(unaryRaw('log', x), 'log', [x], (g) => [div(g, x)]);
}

export function sqrt(x: Tensor): Tensor {
  const y = unaryRaw('sqrt', x);
  // d sqrt(x) = 1 / (2 sqrt(x))
  return record(y, 'sqrt', [x], (g) => [mulScalar(div(g, y), 0.5)]);
}

/** x ** p for a scalar exponent p */
export function pow(x: Tensor, p: number): Tensor {
  return record(unaryRaw('pow', x, p), 'pow', [x], (g) => [mul(g, mulScalar(pow(x, p - 1), p))]);
}

export function square(x: Tensor): Tensor {
  return record(unaryRaw('square', x), 'square', [x], (g) => [mul(g, mulScalar(x, 2))]);
}

export function sigmoid(x: Tensor): Tensor {
  const y = unaryRaw('sigmoid', x);
  return record(y, 'sigmoid', [x], (g) => [binaryRaw('sigmoidBackward', g, y)]);
}

export function tanh(x: Tensor): Tensor {
  const y = unaryRaw('tanh', x);
  return record(y, 'tanh', [x], (g) => [binaryRaw('tanhBackward', g, y)]);
}

export function abs(x: Tensor): Tensor {
  // d|x| = sign(x): (x > 0) - (0 > x)
  return record(unaryRaw('abs', x), 'abs', [x], (g) => {
    const z = zerosLike(x);
    const sign = sub(binaryRaw('greater', x, z), binaryRaw('greater', z, x));
    return [mul(g, sign)];
  });
}

/** alpha * x + beta */
export function scaleShift(x: Tensor, alpha: number, beta: number): Tensor {
  return record(unaryRaw('scaleShift', x, alpha, beta), 'scaleShift', [x], (g) => [mulScalar(g, alpha)]);
}

export function mulScalar(x: Tensor, s: number): Tensor {
  return scaleShift(x, s, 0);
}

export function addScalar(x: Tensor, s: number): Tensor {
  return scaleShift(x, 1, s);
}

// ---- binary with broadcasting --------------------------------------------------------------

/** Function numbers of elementwise/binary.wgsl. */
export const BINARY = {
  add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, pow: 6,
  reluBackward: 7, sigmoidBackward: 8, tanhBackward: 9, equal: 10, greater: 11, first: 12,
} as const;

/** The broadcast shape of a and b (NumPy rules), or an error naming the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Strides of `t` in the index space of `outShape`, 0 on broadcast dimensions. */
function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const r = outShape.length;
  const s = new Array<number>(r).fill(0);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const od = r - shape.length + i;
    s[od] = shape[i] === 1 ? 0 : acc;
    acc *= shape[i]!;
  }
  return s;
}

function binaryRaw(op: keyof typeof BINARY, a: Tensor, b: Tensor, outShape?: Shape): Tensor {
  assertFloat(op, a, b);
  const d = assertSameDevice(op, a, b);
  const shape = outShape ?? broadcastShapes(op, a.shape, b.shape);
  if (shape.length > 8) throw new Error(`${op}: rank ${shape.length} > 8 is not supported`);
  const out = Tensor.empty(shape, 'float32', d);
  if (sameShape(a.shape, shape) && sameShape(b.shape, shape)) {
    for (const [s, n] of flatChunks(d, out.size)) {
      d.dispatch('elementwise/binary.wgsl', [range(a, s, n), range(b, s, n), range(out, s, n)],
        [{ u: n }, { u: 0 }, { u: 0 }, { u: 0 }, ...pack8([], 0), ...pack8([], 0), ...pack8([], 0)],
        grid(n), { OP: BINARY[op], BROADCAST: 0 });
    }
    return out;
  }
  if (Math.max(a.byteLength, b.byteLength, out.byteLength) > d.maxBinding) {
    throw new Error(`${op}: broadcasting ${fmtShape(a.shape)} with ${fmtShape(b.shape)} over more than ` +
      `${d.maxBinding} bytes per binding is not supported; reshape into same-shape operands`);
  }
  const r = shape.length;
  d.dispatch('elementwise/binary.wgsl', [bind(a), bind(b), bind(out)],
    [{ u: out.size }, { u: r }, { u: 0 }, { u: 0 },
      ...pack8(shape, r), ...pack8(broadcastStrides(a.shape, shape), r), ...pack8(broadcastStrides(b.shape, shape), r)],
    grid(out.size), { OP: BINARY[op], BROADCAST: 1 });
  return out;
}

export function add(a: Tensor, b: Tensor): Tensor {
  return record(binaryRaw('add', a, b), 'add', [a, b], (g) => [sumToShape(g, a.shape), sumToShape(g, b.shape)]);
}

export function sub(a: Tensor, b: Tensor): Tensor {
  return record(binaryRaw('sub', a, b), 'sub', [a, b], (g) => [sumToShape(g, a.shape), sumToShape(neg(g), b.shape)]);
}

export function mul(a: Tensor, b: Tensor): Tensor {
  return record(binaryRaw('mul', a, b), 'mul', [a, b], (g) => [
    a.requiresGrad ? sumToShape(mul(g, b), a.shape) : null,
    b.requiresGrad ? sumToShape(mul(g, a), b.shape) : null,
  ]);
}

export function div(a: Tensor, b: Tensor): Tensor {
  return record(binaryRaw('div', a, b), 'div', [a, b], (g) => [
    a.requiresGrad ? sumToShape(div(g, b), a.shape) : null,
    // d(a/b)/db = -a / b^2
    b.requiresGrad ? sumToShape(neg(div(mul(g, a), square(b))), b.shape) : null,
  ]);
}

/** Elementwise max; the gradient goes to a where a >= b, else to b. */
export function maximum(a: Tensor, b: Tensor): Tensor {
  return record(binaryRaw('maximum', a, b), 'maximum', [a, b], (g) => {
    const bWins = binaryRaw('greater', b, a);
    const aWins = scaleShift(bWins, -1, 1);
    return [sumToShape(mul(g, aWins), a.shape), sumToShape(mul(g, bWins), b.shape)];
  });
}

export function minimum(a: Tensor, b: Tensor): Tensor {
  return neg(maximum(neg(a), neg(b)));
}

/** dX of ReLU: dY where X > 0, else 0. */
export function reluBackward(dy: Tensor, x: Tensor): Tensor {
  return binaryRaw('reluBackward', dy, x);
}

/** 1.0 where a == b, else 0.0 (no gradient). */
export function equal(a: Tensor, b: Tensor): Tensor {
  return binaryRaw('equal', a, b);
}

/** 1.0 where a > b, else 0.0 (no gradient). */
export function greater(a: Tensor, b: Tensor): Tensor {
  return binaryRaw('greater', a, b);
}

/** Copies t, repeated along its size-1 (or missing leading) dimensions, into `shape`. */
export function broadcastTo(t: Tensor, shape: Shape): Tensor {
  const target = broadcastShapes('broadcastTo', t.shape, shape);
  if (!sameShape(target, shape)) {
    throw new Error(`broadcastTo: cannot broadcast ${fmtShape(t.shape)} to ${fmtShape(shape)}`);
  }
  if (sameShape(t.shape, shape)) return t.reshape(shape);
  return record(binaryRaw('first', t, t, shape), 'broadcastTo', [t], (g) => [sumToShape(g, t.shape)]);
}

// ---- in place ------------------------------------------------------------------------------

/** y = beta * y + alpha * x, in place, no graph. Used to accumulate gradients. */
export function axpy_(y: Tensor, x: Tensor, alpha = 1, beta = 1): Tensor {
  assertFloat('axpy_', x, y);
  if (!sameShape(x.shape, y.shape)) throw new Error(`axpy_: shapes ${fmtShape(y.shape)} and ${fmtShape(x.shape)} differ`);
  const d = assertSameDevice('axpy_', x, y);
  for (const [s, n] of flatChunks(d, x.size)) {
    d.dispatch('elementwise/axpy.wgsl', [range(x, s, n), range(y, s, n)],
      [{ u: n }, { f: alpha }, { f: beta }, { u: 0 }], grid(n));
  }
  return y;
}

// ---- fills ---------------------------------------------------------------------------------

const f32bits = new Float32Array(1);
const u32view = new Uint32Array(f32bits.buffer);

/** Fills t (any dtype) with `value`, in place. */
export function fill_(t: Tensor, value: number): Tensor {
  let bits: number;
  if (t.dtype === 'float32') {
    f32bits[0] = value;
    bits = u32view[0]!;
  } else {
    bits = value >>> 0;
  }
  const d = t.device;
  for (const [s, n] of flatChunks(d, t.size)) {
    d.dispatch('init/fill.wgsl', [range(t, s, n)], [{ u: n }, { u: bits }, { u: 0 }, { u: 0 }], grid(n));
  }
  return t;
}

export function full(shape: Shape, value: number, dtype: DType = 'float32', device: Device = getDevice()): Tensor {
  return fill_(Tensor.empty(shape, dtype, device), value);
}

export function zeros(shape: Shape, dtype: DType = 'float32', device: Device = getDevice()): Tensor {
  return full(shape, 0, dtype, device);
}

export function ones(shape: Shape, dtype: DType = 'float32', device: Device = getDevice()): Tensor {
  return full(shape, 1, dtype, device);
}

export function zerosLike(t: Tensor): Tensor {
  return full(t.shape, 0, t.dtype, t.device);
}

export function onesLike(t: Tensor): Tensor {
  return full(t.shape, 1, t.dtype, t.device);
}

// ---- random --------------------------------------------------------------------------------

let seedState = 0x2545f491;

/** Seeds the generator that picks a seed for rand/randn calls that do not pass one. */
export function manualSeed(seed: number): void {
  seedState = seed >>> 0;
}

/** The next seed of the global sequence (splitmix32), for ops that need fresh randomness. */
export function nextSeed(): number {
  seedState = (seedState + 0x9e3779b9) >>> 0;
  let z = seedState;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function random(shape: Shape, normal: boolean, a: number, b: number, seed: number | undefined, device: Device): Tensor {
  const t = Tensor.empty(shape, 'float32', device);
  const sd = (seed ?? nextSeed()) >>> 0;
  for (const [s, n] of flatChunks(device, t.size)) {
    device.dispatch('init/random.wgsl', [range(t, s, n)],
      [{ u: n }, { u: sd }, { f: a }, { f: b }, { u: s }, { u: 0 }, { u: 0 }, { u: 0 }], grid(n), { NORMAL: normal ? 1 : 0 });
  }
  return t;
}

/** Uniform in [low, high). Same seed, same numbers on every device. */
export function rand(shape: Shape, opts: { low?: number; high?: number; seed?: number; device?: Device } = {}): Tensor {
  return random(shape, false, opts.low ?? 0, opts.high ?? 1, opts.seed, opts.device ?? getDevice());
}

/** Normal(mean, std). Same seed, same numbers on every device. */
export function randn(shape: Shape, opts: { mean?: number; std?: number; seed?: number; device?: Device } = {}): Tensor {
  return random(shape, true, opts.mean ?? 0, opts.std ?? 1, opts.seed, opts.device ?? getDevice());
}
