// SPDX-License-Identifier: MIT
// Optimizer: the base of SGD, Adam and AdamW. Holds the parameters, their per-parameter
// state (momentum buffers, Adam moments: GPU tensors) and the hyperparameters; `step()`
// records the update kernels and never waits for the GPU. Parameters without a gradient are
// skipped, as in PyTorch.
//
// Flat (`flat: true`, the default): the parameters are moved into arenas (src/tensor/arena.ts)
// — the model's own tensor objects, now slots of one buffer — and so are their gradients
// (backward() writes each into its slot) and the optimizer's state. When every parameter has
// its gradient in its slot and all have taken the same number of steps, one update kernel
// runs over each arena (a few dispatches, split only by the storage binding limit); else
// (a parameter without a gradient, a gradient set by hand) each parameter is updated alone,
// through the same slots. Both give the same numbers: the update is elementwise.

import { axpy_, fill_, fmtShape, keep, noGrad, Tensor, zeros, type Device } from '../tensor/index.js';
import { ArenaSet, layoutFor } from '../tensor/arena.js';
import { copyInto, type TensorLike } from '../tensor/copy.js';

/**
 * vec4s each invocation of sgd_vec4 / adam_vec4 updates (PER). A CPU driver pays per
 * invocation: on lavapipe over AlexNet's 58M parameters, 2 took plain SGD from 90-99 to
 * 48-56 ms, SGD with momentum from 88-91 to 81, Adam from 113-115 to 99-112; 4 was no better.
 */
export const VEC4_PER_INVOCATION = 2;

/** Parameters, either bare or with their names (`model.namedParameters()`). */
export type OptimizerParams = Tensor[] | [string, Tensor][] | Iterable<Tensor>;

/**
 * Everything needed to resume exactly: the kind, hyperparameters, per-parameter step counts,
 * and the state tensors by key `<param index>.<state name>` (PyTorch numbers params too).
 */
export interface OptimizerState {
  type: string;
  hyper: Record<string, number | boolean | number[]>;
  steps: number[];
  tensors: Map<string, TensorLike>;
}

export abstract class Optimizer {
  readonly params: Tensor[];
  /** names when given `namedParameters()` (used in error messages) */
  readonly names: string[];
  /** per-parameter state tensors by state name */
  protected readonly state: Map<string, Tensor>[];
  /** per-parameter number of steps taken (PyTorch keeps `step` per parameter too) */
  protected steps: number[];
  private dummy: Tensor | null = null;
  protected abstract readonly kind: string;
  /** the arenas when flat: parameters, gradients, and one per state name */
  private flat: { params: ArenaSet; grads: ArenaSet; state: Map<string, ArenaSet> } | null = null;
  /** update dispatches recorded by the last step() (the flat path's count is the arenas' chunks) */
  lastStepDispatches = 0;
  /**
   * Which parameters take weight decay when only some do (`decayOnlyWeights`): then the decay
   * is applied here, before the update, to those alone, and the update kernels run without it.
   */
  private decayMask: boolean[] | null = null;

  constructor(params: OptimizerParams, public lr: number, flat = true) {
    const list = [...(params as Iterable<Tensor | [string, Tensor]>)];
    this.params = list.map((p) => (Array.isArray(p) ? p[1] : p));
    this.names = list.map((p, i) => (Array.isArray(p) ? p[0] : p.name ?? `param${i}`));
    if (this.params.length === 0) throw new Error('optimizer: got an empty parameter list');
    for (const [i, p] of this.params.entries()) {
      if (p.dtype !== 'float32') throw new Error(`optimizer: parameter ${this.names[i]} is ${p.dtype}, not float32`);
    }
    this.state = this.params.map(() => new Map());
    this.steps = this.params.map(() => 0);
    if (!(lr >= 0)) throw new Error(`optimizer: invalid learning rate ${lr}`);
    if (new Set(this.params).size !== this.params.length) throw new Error('optimizer: a parameter is listed twice');
    if (flat) this.packFlat();
  }

  /** Whether the parameters live in this optimizer's arenas (`flat` option). */
  get isFlat(): boolean {
    return this.flat !== null;
  }

  /**
   * Moves every parameter into one layout of arenas (a GPU copy each; the old buffers are
   * destroyed, not pooled: no later tensor would fit them as well), gives each its gradient
   * slot, and carries over a gradient it already has.
   */
  private packFlat(): void {
    const device = this.params[0]!.device;
    for (const [i, p] of this.params.entries()) {
      if (p.device !== device) throw new Error(`optimizer: parameter ${this.names[i]} lives on another device`);
    }
    const shapes = this.params.map((p) => p.shape);
    const layout = layoutFor(shapes, device);
    const params = new ArenaSet(layout, shapes, device, 'params');
    const grads = new ArenaSet(layout, shapes, device, 'grads');
    this.params.forEach((p, i) => {
      const slot = params.slot(i);
      device.copy(p.buffer, p.byteOffset, slot.buffer, slot.byteOffset, p.byteLength);
      p.replaceStorage(slot.storage.retain(), { discardOld: true });
      slot.dispose();
      p.gradSlot?.dispose();
      p.gradSlot = grads.slot(i);
      if (p.grad && !p.grad.isDisposed) {
        const g = p.gradSlot;
        device.copy(p.grad.buffer, p.grad.byteOffset, g.buffer, g.byteOffset, g.byteLength);
        p.grad.dispose();
        p.grad = keep(g.alias());
      }
    });
    this.flat = { params, grads, state: new Map() };
  }

  /** The flat path's condition: every parameter and gradient in its slot, equal step counts. */
  private flatReady(): boolean {
    const f = this.flat;
    if (!f) return false;
    const s0 = this.steps[0];
    return this.params.every((p, i) => f.params.holds(i, p) && f.grads.holds(i, p.grad) && this.steps[i] === s0);
  }

  /** Hyperparameters (saved in the state dict; `lr` included). */
  abstract get hyper(): Record<string, number | boolean | number[]>;

  protected abstract setHyper(h: Record<string, number | boolean | number[]>): void;

  /**
   * Records the update of p from g, elementwise: `state(name)` is the matching state tensor
   * (created as zeros on first use), `step` the step number (1 on the first). p may be one
   * parameter or a whole arena of them.
   */
  protected abstract update(p: Tensor, g: Tensor, state: (name: string) => Tensor, step: number): void;

  /** The weight-decay factor (0 when none); subclasses with weight decay override it. */
  protected get decayRate(): number {
    return 0;
  }

  /** Whether weight decay is decoupled (AdamW's p ← p·(1 − lr·wd)) rather than added to the gradient. */
  protected get decoupledDecay(): boolean {
    return false;
  }

  /** The weight decay the update kernels apply: 0 when it is applied per parameter instead. */
  protected get kernelDecay(): number {
    return this.decayMask ? 0 : this.decayRate;
  }

  /**
   * Decays only the parameters with two or more dimensions (conv and linear weights), not
   * biases nor BatchNorm's scale and shift — the usual rule of modern recipes. `false` decays
   * all (PyTorch's default).
   */
  set decayOnlyWeights(on: boolean) {
    this.decayMask = on ? this.params.map((p) => p.shape.length > 1) : null;
  }

  get decayOnlyWeights(): boolean {
    return this.decayMask !== null;
  }

  /** The masked decay, before the update: g += wd·p (coupled), or p −= lr·wd·p (decoupled). */
  private applyMaskedDecay(): void {
    const wd = this.decayRate;
    if (!this.decayMask || wd === 0) return;
    noGrad(() => {
      this.params.forEach((p, i) => {
        const g = p.grad;
        if (!this.decayMask![i] || !g || g.isDisposed) return;
        if (!this.decoupledDecay) {
          axpy_(g, p, wd);
        } else {
          // p and a copy of it: a dispatch may not read and write one buffer range through two bindings
          const copy = Tensor.empty(p.shape);
          p.device.copy(p.buffer, p.byteOffset, copy.buffer, copy.byteOffset, p.byteLength);
          axpy_(p, copy, -this.lr * wd);
          copy.dispose();
        }
      });
    });
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    const before = this.params[0]!.device.stats.dispatches;
    this.applyMaskedDecay();
    if (this.flatReady()) {
      const f = this.flat!;
      const step = this.steps[0]! + 1;
      f.params.arenas.forEach((pa, k) => this.update(pa, f.grads.arenas[k]!, (name) => this.stateArenas(name).arenas[k]!, step));
      this.steps = this.steps.map(() => step);
    } else {
      this.params.forEach((p, i) => {
        const g = p.grad;
        if (!g || g.isDisposed) return;
        if (g.size !== p.size) throw new Error(`optimizer: gradient ${fmtShape(g.shape)} of ${this.names[i]} does not match ${fmtShape(p.shape)}`);
        this.steps[i]!++;
        this.update(p, g, (name) => this.buffer(i, name), this.steps[i]!);
      });
    }
    this.lastStepDispatches = this.params[0]!.device.stats.dispatches - before;
  }

  /** The arenas of a state tensor (flat mode), zeros on first use, with every slot registered. */
  private stateArenas(name: string): ArenaSet {
    const f = this.flat!;
    let set = f.state.get(name);
    if (!set) {
      set = new ArenaSet(f.params.layout, f.params.shapes, this.params[0]!.device, name);
      f.state.set(name, set);
      this.params.forEach((_, i) => {
        const t = set!.slot(i);
        t.name = `${this.names[i]}.${name}`;
        this.state[i]!.set(name, t);
      });
    }
    return set;
  }

  /** Clears gradients: drops them (default, like PyTorch 2) or fills them with zeros. */
  zeroGrad(setToNone = true): void {
    for (const p of this.params) {
      if (!p.grad) continue;
      if (setToNone) {
        p.grad.dispose();
        p.grad = null;
      } else {
        fill_(p.grad, 0);
      }
    }
  }

  /** The number of steps taken (of the parameter that took the most). */
  get stepCount(): number {
    return Math.max(0, ...this.steps);
  }

  /** A state tensor of parameter i, created as zeros on first use. */
  protected buffer(i: number, name: string): Tensor {
    if (this.flat) this.stateArenas(name);
    let t = this.state[i]!.get(name);
    if (!t) {
      const p = this.params[i]!;
      t = keep(zeros(p.shape, 'float32', p.device));
      t.name = `${this.names[i]}.${name}`;
      this.state[i]!.set(name, t);
    }
    return t;
  }

  /** A 4-float scratch tensor bound where a kernel's optional buffer is unused. */
  protected scratch(device: Device): Tensor {
    if (!this.dummy || this.dummy.isDisposed) this.dummy = keep(zeros([4], 'float32', device));
    return this.dummy;
  }

  stateDict(): OptimizerState {
    const tensors = new Map<string, TensorLike>();
    this.state.forEach((m, i) => {
      for (const [k, t] of m) tensors.set(`${i}.${k}`, t);
    });
    return { type: this.kind, hyper: { ...this.hyper }, steps: [...this.steps], tensors };
  }

  /**
   * Restores hyperparameters, step counts and state tensors (copied into new buffers).
   * Checks the kind, the parameter count and every shape first; loads nothing on error.
   */
  loadStateDict(s: OptimizerState): void {
    const problems: string[] = [];
    if (s.type !== this.kind) problems.push(`state is for ${s.type}, this optimizer is ${this.kind}`);
    if (s.steps.length !== this.params.length) problems.push(`state has ${s.steps.length} parameters, this optimizer ${this.params.length}`);
    const parsed: [number, string, TensorLike][] = [];
    for (const [key, t] of s.tensors) {
      const m = /^(\d+)\.(.+)$/.exec(key);
      const i = m ? Number(m[1]) : -1;
      const p = this.params[i];
      if (!m || !p) {
        problems.push(`unexpected state tensor ${key}`);
        continue;
      }
      if (t.shape.length !== p.shape.length || t.shape.some((d, j) => d !== p.shape[j])) {
        problems.push(`${key} (${this.names[i]}): shape ${fmtShape(t.shape)}, parameter is ${fmtShape(p.shape)}`);
        continue;
      }
      parsed.push([i, m[2]!, t]);
    }
    if (problems.length) throw new Error(`optimizer.loadStateDict: nothing was loaded:\n  ${problems.join('\n  ')}`);
    this.disposeState();
    for (const [i, name, src] of parsed) copyInto(this.buffer(i, name), src);
    this.steps = [...s.steps];
    this.setHyper(s.hyper);
  }

  private disposeState(): void {
    for (const m of this.state) {
      for (const t of m.values()) t.dispose();
      m.clear();
    }
    if (this.flat) {
      for (const set of this.flat.state.values()) set.dispose();
      this.flat.state.clear();
    }
  }

  /**
   * Frees the state tensors, and (flat) the gradient slots; the parameters stay in their
   * arena, which lives as long as they do.
   */
  dispose(): void {
    this.disposeState();
    this.dummy?.dispose();
    if (this.flat) {
      this.params.forEach((p, i) => {
        if (p.gradSlot && this.flat!.grads.holds(i, p.gradSlot)) {
          p.gradSlot.dispose();
          p.gradSlot = null;
        }
      });
      this.flat.params.dispose();
      this.flat.grads.dispose();
      this.flat = null;
    }
  }
}
