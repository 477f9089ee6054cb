// SPDX-License-Identifier: MIT
// Module: the base of every layer, as in micrograd's nn.py plus what PyTorch's nn.Module adds
// that training needs: named parameters and buffers (state_dict names such as
// `features.0.weight`), train/eval mode, shape inference without running, FLOP counts, and
// loading weights with every mismatch reported at once.
//
// A module owns its parameters (leaf tensors with requiresGrad) and buffers (running stats),
// registered under a name, and its children, registered under a name. Names compose with
// dots: child "features" with child "0" with parameter "weight" is `features.0.weight`.

import { childLabel, fmtShape, keep, labelScope, sizeOf, type Shape, type Tensor } from '../tensor/index.js';
import { copyInto, isGpuTensor, type TensorLike } from '../tensor/copy.js';

export { copyInto, type TensorLike } from '../tensor/copy.js';

export interface LoadOptions {
  /** missing and unexpected names are errors (default true); shapes and dtypes always are */
  strict?: boolean;
}

/** The report of a load: which names were missing or unexpected (when not strict). */
export interface LoadResult {
  missing: string[];
  unexpected: string[];
}

/** Buffer names that PyTorch writes and this library does not keep (ignored on load). */
const IGNORED_ON_LOAD = /(^|\.)num_batches_tracked$/;

export abstract class Module {
  /** true in training mode (dropout active, batch norm uses batch statistics) */
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly modules = new Map<string, Module>();

  /** y = f(x). Layers record their ops on the autograd graph; nothing runs until needed. */
  abstract forward(x: Tensor): Tensor;

  /** The output shape for an input shape (batch dimension included), without running. */
  outputShape(inputShape: Shape): number[] {
    return [...inputShape];
  }

  /** Floating-point operations for ONE image of `inputShape` (batch dimension included, ignored). */
  flops(_inputShape: Shape): number {
    return 0;
  }

  /**
   * For containers: the children in the order forward() runs them (including layers that are
   * not registered, such as a Flatten), so summary() can follow the shapes. null for leaves.
   */
  sequence(): [string, Module][] | null {
    return null;
  }

  /** A short description for summaries, like PyTorch's repr: `Conv2d(3, 64, k11, s4, p2)`. */
  describe(): string {
    return this.constructor.name;
  }

  // ---- registration -------------------------------------------------------------------------

  /** Registers a parameter: marks it requiresGrad, keeps it out of tidy() scopes, names it. */
  protected registerParameter(name: string, t: Tensor): Tensor {
    this.params.set(name, keep(t).requiresGrad_());
    t.name ??= name;
    return t;
  }

  /** Registers a buffer: state that is saved and loaded but not trained (running statistics). */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    this.buffers.set(name, keep(t));
    t.name ??= name;
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.modules.set(name, m);
    return m;
  }

  /** Replaces a registered parameter or buffer's tensor (the old one is disposed). */
  protected replaceTensor(name: string, t: Tensor): void {
    const isParam = this.params.has(name);
    const old = isParam ? this.params.get(name) : this.buffers.get(name);
    if (isParam) this.registerParameter(name, t);
    else this.registerBuffer(name, t);
    if (old && old !== t) old.dispose();
  }

  // ---- traversal ----------------------------------------------------------------------------

  /** Direct children, in registration order: `[name, module]`. */
  get children(): [string, Module][] {
    return [...this.modules];
  }

  /** Direct children as an iterable (PyTorch's named_children). */
  namedChildren(): IterableIterator<[string, Module]> {
    return this.modules.entries();
  }

  /**
   * Runs a child's forward (or `fn`) under its dotted label, so the profiler can time leaf
   * layers (src/tensor/profile-scopes.ts). Containers call this for each child.
   */
  protected runChild(name: string, m: Module, fn: () => Tensor): Tensor {
    return labelScope(childLabel(name), fn, m.modules.size === 0);
  }

  /** This module and every descendant, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, m] of this.modules) out.push(...m.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  /** Every parameter with its state_dict name, in PyTorch's order (own first, then children). */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.params) out.push([prefix ? `${prefix}.${n}` : n, t]);
    for (const [n, m] of this.modules) out.push(...m.namedParameters(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.buffers) out.push([prefix ? `${prefix}.${n}` : n, t]);
    for (const [n, m] of this.modules) out.push(...m.namedBuffers(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  /** Number of trainable values. */
  numParameters(): number {
    return this.parameters().reduce((s, t) => s + t.size, 0);
  }

  // ---- mode ---------------------------------------------------------------------------------

  /** Sets training mode on this module and every descendant. */
  train(on = true): this {
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  // ---- state --------------------------------------------------------------------------------

  /**
   * Parameters and buffers by name, in PyTorch's state_dict order (per module: parameters,
   * buffers, then children). The tensors are the live ones, not copies.
   */
  stateDict(prefix = ''): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [n, t] of this.params) out.set(prefix ? `${prefix}.${n}` : n, t);
    for (const [n, t] of this.buffers) out.set(prefix ? `${prefix}.${n}` : n, t);
    for (const [n, m] of this.modules) for (const [k, t] of m.stateDict(prefix ? `${prefix}.${n}` : n)) out.set(k, t);
    return out;
  }

  /**
   * Copies values into the parameters and buffers, in place (optimizers keep working).
   * Every name, shape and dtype is checked first and ALL problems are reported in one error;
   * nothing is written unless everything matches. Not strict: missing and unexpected names
   * are returned instead of thrown (shape and dtype mismatches still throw).
   */
  loadStateDict(dict: Map<string, TensorLike> | Record<string, TensorLike>, opts: LoadOptions = {}): LoadResult {
    const strict = opts.strict ?? true;
    const entries = dict instanceof Map ? dict : new Map(Object.entries(dict));
    const own = this.stateDict();
    const problems: string[] = [];
    const missing = [...own.keys()].filter((k) => !entries.has(k));
    const unexpected = [...entries.keys()].filter((k) => !own.has(k) && !IGNORED_ON_LOAD.test(k));
    for (const [name, target] of own) {
      const src = entries.get(name);
      if (!src) continue;
      const dt = srcDtype(src);
      if (dt !== 'float32' && dt !== 'F32') problems.push(`${name}: dtype ${dt}, expected float32`);
      else if (src.shape.length !== target.shape.length || src.shape.some((d, i) => d !== target.shape[i])) {
        problems.push(`${name}: shape ${fmtShape(src.shape)} in the checkpoint, ${fmtShape(target.shape)} in the model`);
      } else if (!isGpuTensor(src) && src.data.length !== sizeOf(target.shape)) {
        problems.push(`${name}: ${src.data.length} values for shape ${fmtShape(target.shape)}`);
      }
    }
    if (strict) {
      if (missing.length) problems.push(`missing: ${missing.join(', ')}`);
      if (unexpected.length) problems.push(`unexpected: ${unexpected.join(', ')}`);
    }
    if (problems.length) {
      throw new Error(`loadStateDict: ${problems.length} problem(s), nothing was loaded:\n  ${problems.join('\n  ')}`);
    }
    for (const [name, target] of own) {
      const src = entries.get(name);
      if (!src) continue;
      copyInto(target, src);
    }
    return { missing, unexpected };
  }

  /** Frees every parameter and buffer (and their gradients). */
  dispose(): void {
    for (const [, t] of this.stateDict()) {
      t.grad?.dispose();
      t.grad = null;
      t.dispose();
    }
  }
}

function srcDtype(t: TensorLike): string {
  return (isGpuTensor(t) ? t.dtype : t.dtype) ?? 'float32';
}
