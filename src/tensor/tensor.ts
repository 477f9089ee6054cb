// SPDX-License-Identifier: MIT
// Tensor: a shape, a dtype and a GPU buffer (shared by reshaped views, reference counted),
// plus the autograd fields. Every tensor is contiguous and row-major (NCHW for images);
// ops that need another order (transpose, permute) write a new tensor, and matmul reads
// transposed operands through strides instead of copying.
// Also here: grad mode (noGrad, record: how ops attach graph nodes). Scopes (tidy, keep)
// are in scope.ts, NaN poisoning for the tests in poison.ts, the backward pass in autograd.ts.

import { Device, getDevice } from './device.js';
import { poisonIfOn } from './poison.js';
import { currentLabel } from './profile-scopes.js';
import { track, untrack } from './scope.js';

export type DType = 'float32' | 'int32' | 'uint32';
export type Shape = readonly number[];

/**
 * A pooled GPU buffer shared by a tensor and its reshaped views; or a slot of a larger one
 * (an arena: `byteOffset` into the parent's buffer, which the slot keeps alive).
 */
export class Storage {
  refs = 1;
  constructor(
    readonly device: Device,
    readonly buffer: GPUBuffer,
    readonly bytes: number,
    /** where the data starts in `buffer` (0 unless this is a slot of an arena) */
    readonly byteOffset = 0,
    /** the arena's storage when this is a slot of one */
    readonly parent: Storage | null = null,
  ) {
    parent?.retain();
  }
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs !== 0) return;
    if (this.parent) this.parent.release();
    else this.device.release(this.buffer);
  }
}

/** An autograd graph node: how to push the output's gradient back to the inputs. */
export interface GradNode {
  op: string;
  inputs: Tensor[];
  /** returns one gradient (or null) per input; runs with grad recording off */
  backward: (grad: Tensor) => Array<Tensor | null>;
  /** the layer that created the node (for the profiler) */
  label?: string;
}

let nextId = 1;

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function fmtShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

function checkShape(shape: Shape, what: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${what}: invalid shape ${fmtShape(shape)}`);
  }
}

export class Tensor {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly size: number;
  /** set by `requiresGrad_()` on leaves, or by ops on outputs of tracked inputs */
  requiresGrad = false;
  /** accumulated gradient of a leaf after `backward()` */
  grad: Tensor | null = null;
  /**
   * Where a leaf's gradient is to be written: its slot in a flat optimizer's gradient arena
   * (set by the optimizer with `flat: true`; `backward()` then puts `grad` there).
   */
  gradSlot: Tensor | null = null;
  /** the op that produced this tensor (null for leaves) */
  node: GradNode | null = null;
  /** optional name, used in error messages and by layers */
  name?: string;
  private _storage: Storage | null;

  constructor(storage: Storage, shape: Shape, dtype: DType = 'float32') {
    this._storage = storage;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = sizeOf(shape);
    track(this);
  }

  get storage(): Storage {
    if (!this._storage) throw new Error(`tensor ${this.name ?? '#' + this.id} ${fmtShape(this.shape)} was disposed`);
    return this._storage;
  }

  get buffer(): GPUBuffer {
    return this.storage.buffer;
  }

  get device(): Device {
    return this.storage.device;
  }

  /**
   * Where the data starts in `buffer`: 0 unless the tensor is a slot of an arena (a multiple
   * of the device's binding alignment then). Every binding and copy adds it.
   */
  get byteOffset(): number {
    return this.storage.byteOffset;
  }

  get rank(): number {
    return this.shape.length;
  }

  get strides(): number[] {
    return stridesOf(this.shape);
  }

  get isDisposed(): boolean {
    return this._storage === null;
  }

  /** bytes of data (4 per element for every dtype we have) */
  get byteLength(): number {
    return this.size * 4;
  }

  // ---- creation -----------------------------------------------------------------------

  /** A tensor with undefined contents (or NaN when the device poisons new outputs). */
  static empty(shape: Shape, dtype: DType = 'float32', device: Device = getDevice()): Tensor {
    checkShape(shape, 'empty');
    const bytes = Math.max(4, sizeOf(shape) * 4);
    const t = new Tensor(new Storage(device, device.acquire(bytes), bytes), shape, dtype);
    poisonIfOn(t);
    return t;
  }

  /** Uploads data from the CPU. Float arrays become float32, Int32Array int32, Uint32Array uint32. */
  static fromArray(
    data: ArrayLike<number> | Float32Array | Int32Array | Uint32Array,
    shape?: Shape,
    dtype?: DType,
    device: Device = getDevice(),
  ): Tensor {
    const dt: DType = dtype ?? (data instanceof Int32Array ? 'int32' : data instanceof Uint32Array ? 'uint32' : 'float32');
    const sh = shape ?? [data.length];
    if (sizeOf(sh) !== data.length) {
      throw new Error(`fromArray: ${data.length} values do not fill shape ${fmtShape(sh)}`);
    }
    const typed =
      dt === 'float32'
        ? data instanceof Float32Array ? data : Float32Array.from(data)
        : dt === 'int32'
          ? data instanceof Int32Array ? data : Int32Array.from(data)
          : data instanceof Uint32Array ? data : Uint32Array.from(data);
    const bytes = Math.max(4, typed.byteLength);
    const t = new Tensor(new Storage(device, device.acquire(bytes), bytes), sh, dt);
    device.upload(t.buffer, typed);
    return t;
  }

  /**
   * A tensor over bytes [byteOffset, byteOffset + 4·size) of another tensor's storage (a slot
   * of an arena), sharing it: writes through either are seen by both. The offset must be a
   * multiple of the device's binding alignment so kernels can bind the slot alone.
   */
  static slot(arena: Tensor, byteOffset: number, shape: Shape, dtype: DType = 'float32'): Tensor {
    checkShape(shape, 'slot');
    const a = arena.storage;
    const bytes = Math.max(4, sizeOf(shape) * 4);
    const at = a.byteOffset + byteOffset;
    if (byteOffset < 0 || at % a.device.alignment !== 0 || byteOffset + bytes > a.bytes) {
      throw new Error(`slot: ${fmtShape(shape)} at byte ${byteOffset} does not fit aligned in a ${a.bytes}-byte tensor (alignment ${a.device.alignment})`);
    }
    return new Tensor(new Storage(a.device, a.buffer, bytes, at, a.parent ?? a), shape, dtype);
  }

  // ---- reading back -------------------------------------------------------------------

  /** Copies the data to the CPU (waits for the GPU). */
  async toArray(): Promise<Float32Array | Int32Array | Uint32Array> {
    const raw = await this.device.read(this.buffer, this.byteOffset, this.byteLength);
    if (this.dtype === 'int32') return new Int32Array(raw);
    if (this.dtype === 'uint32') return new Uint32Array(raw);
    return new Float32Array(raw);
  }

  /** float32 data (throws for integer tensors, so callers never misread indices) */
  async data(): Promise<Float32Array> {
    if (this.dtype !== 'float32') throw new Error(`data(): tensor is ${this.dtype}; use toArray()`);
    return (await this.toArray()) as Float32Array;
  }

  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item(): tensor has ${this.size} elements, shape ${fmtShape(this.shape)}`);
    return (await this.toArray())[0]!;
  }

  // ---- views --------------------------------------------------------------------------

  /** Same data, new shape (one dimension may be -1). Shares the buffer; keeps the graph. */
  reshape(shape: Shape): Tensor {
    const sh = [...shape];
    const neg = sh.indexOf(-1);
    if (neg >= 0) {
      const rest = sizeOf(sh.filter((_, i) => i !== neg));
      sh[neg] = rest === 0 ? 0 : this.size / rest;
    }
    if (sizeOf(sh) !== this.size || sh.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new Error(`reshape: cannot view ${fmtShape(this.shape)} (${this.size} elements) as ${fmtShape(shape)}`);
    }
    const out = new Tensor(this.storage.retain(), sh, this.dtype);
    if (this.requiresGrad && gradState.enabled) {
      const inShape = this.shape;
      out.requiresGrad = true;
      out.node = { op: 'reshape', inputs: [this], backward: (g) => [g.reshape(inShape)] };
    }
    return out;
  }

  /** A second handle on the same buffer, without graph (used by autograd). */
  alias(): Tensor {
    return new Tensor(this.storage.retain(), this.shape, this.dtype);
  }

  /** Detached view: same data, no graph. */
  detach(): Tensor {
    return this.alias();
  }

  // ---- autograd -----------------------------------------------------------------------

  /**
   * Back-propagates from this tensor (a scalar loss, or pass `grad`): accumulates into
   * `.grad` of every leaf marked with requiresGrad_() (autograd.ts).
   */
  backward(grad?: Tensor): void {
    if (!backwardEngine) throw new Error('backward: autograd is not loaded (import the package, or src/tensor/index.ts)');
    backwardEngine(this, grad);
  }

  /** Marks a leaf as a parameter whose gradient `backward()` accumulates. */
  requiresGrad_(flag = true): this {
    if (this.node) throw new Error('requiresGrad_: only leaf tensors can be marked (this one was computed)');
    this.requiresGrad = flag;
    return this;
  }

  /**
   * Points this tensor at other storage of the same size (the optimizer moves parameters
   * into an arena this way, so the model's own tensor objects see the new place). Views
   * made before keep the old storage. Internal: values are not copied.
   */
  replaceStorage(storage: Storage, opts: { discardOld?: boolean } = {}): void {
    if (storage.bytes < this.byteLength) throw new Error(`replaceStorage: ${storage.bytes} bytes cannot hold ${fmtShape(this.shape)}`);
    const old = this.storage;
    this._storage = storage;
    // the old buffer back to the GPU rather than the pool, when nothing else shares it
    if (opts.discardOld && old.refs === 1 && !old.parent) {
      old.refs = 0;
      old.device.discard(old.buffer);
    } else {
      old.release();
    }
  }

  /** Frees the buffer (views keep it alive until they are freed too). Idempotent. */
  dispose(): void {
    if (this._storage) {
      this._storage.release();
      this._storage = null;
      this.node = null;
      untrack(this);
    }
  }

  toString(): string {
    return `Tensor(${fmtShape(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

// ---- the backward engine -------------------------------------------------------------------

/** The backward pass: autograd.ts registers it when it loads (it imports this file, not the reverse). */
let backwardEngine: ((root: Tensor, grad?: Tensor) => void) | null = null;

export function setBackwardEngine(fn: (root: Tensor, grad?: Tensor) => void): void {
  backwardEngine = fn;
}

// ---- grad mode -----------------------------------------------------------------------------

export const gradState = { enabled: true };

/** Runs fn with gradient recording off (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradState.enabled;
  gradState.enabled = false;
  try {
    return fn();
  } finally {
    gradState.enabled = prev;
  }
}

/** Attaches a graph node to `out` when any input needs a gradient and recording is on. */
export function record(out: Tensor, op: string, inputs: Tensor[], backward: GradNode['backward']): Tensor {
  if (gradState.enabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs, backward, label: currentLabel() || undefined };
  }
  return out;
}
