// SPDX-License-Identifier: MIT
// Optimizer: the base of SGD, Adam and AdamW. Holds the parameters, their per-parameter
// state (momentum buffers, Adam moments: GPU tensors) and the hyperparameters; `step()`
// records one update kernel per parameter (per chunk for tensors over one storage binding)
// and never waits for the GPU. Parameters without a gradient are skipped, as in PyTorch.

import { fill_, fmtShape, keep, Tensor, zeros, type Device } from '../tensor/index.js';
import type { TensorLike } from '../layers/module.js';
import { copyInto } from '../layers/module.js';

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

  constructor(params: OptimizerParams, public lr: number) {
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
  }

  /** Hyperparameters (saved in the state dict; `lr` included). */
  abstract get hyper(): Record<string, number | boolean | number[]>;

  protected abstract setHyper(h: Record<string, number | boolean | number[]>): void;

  /** Records the update of parameter i (its gradient is present). */
  protected abstract update(i: number, p: Tensor, g: Tensor): void;

  /** One update of every parameter that has a gradient. */
  step(): void {
    this.params.forEach((p, i) => {
      const g = p.grad;
      if (!g || g.isDisposed) return;
      if (g.size !== p.size) throw new Error(`optimizer: gradient ${fmtShape(g.shape)} of ${this.names[i]} does not match ${fmtShape(p.shape)}`);
      this.steps[i]!++;
      this.update(i, p, g);
    });
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
    for (const m of this.state) {
      for (const t of m.values()) t.dispose();
      m.clear();
    }
    for (const [i, name, src] of parsed) copyInto(this.buffer(i, name), src);
    this.steps = [...s.steps];
    this.setHyper(s.hyper);
  }

  /** Frees the state tensors. */
  dispose(): void {
    for (const m of this.state) {
      for (const t of m.values()) t.dispose();
      m.clear();
    }
    this.dummy?.dispose();
  }
}
