// SPDX-License-Identifier: MIT
// Reverse-mode autograd over the graph that ops record (Tensor.node).
//
// backward(root):
//   1. order every tensor that leads to `root` and needs a gradient, inputs before outputs
//      (depth-first topological sort, as in micrograd);
//   2. walk that order backwards: each tensor's gradient is complete once every tensor that
//      used it has been visited, so its node's backward rule runs once, on the GPU;
//   3. an input's gradient is added to what it already received; a leaf's gradient is added
//      into `leaf.grad` in place;
//   4. an intermediate gradient is freed as soon as its node has used it, so peak memory is
//      the activations plus about one layer of gradients;
//   5. a leaf with a `gradSlot` (its place in a flat optimizer's gradient arena) that has no
//      gradient yet and feeds exactly one op gets that slot offered to the op's backward rule
//      (`gradTarget`): the rules that make parameter gradients (matmul, conv2d's weight
//      gradient, the bias sums, batch norm, spaceToDepth) write straight into it; any other
//      rule's result is copied in. Either way the optimizer finds every gradient in one buffer.

import { add, axpy_, onesLike, scaleShift } from './ops/elementwise.js';
import { timeBackward } from './profile.js';
import { fmtShape, keep, noGrad, poisonIfOn, Tensor } from './tensor.js';

/**
 * How leaves' gradients reached their arena slots since start: written there by the op
 * (`direct`) or copied in after it (`copied`). The profiler and the tests read it.
 */
export const gradSlotStats = { direct: 0, copied: 0 };

/** Slots offered to the backward rule now running: input → where its gradient may go. */
let offered: Map<Tensor, Tensor> | null = null;
/** Handles given out by gradTarget during this rule (freed after it unless returned). */
const given: Tensor[] = [];

/**
 * For backward rules: the tensor the gradient of `input` should be written into, when
 * autograd offers one (a slot of a gradient arena), else undefined — then allocate as
 * usual. The rule must overwrite every element (not accumulate) and return this tensor
 * as the input's gradient. Asking twice for the same input gives undefined the second time.
 */
export function gradTarget(input: Tensor): Tensor | undefined {
  const slot = offered?.get(input);
  if (!slot) return undefined;
  offered!.delete(input);
  const t = slot.alias();
  poisonIfOn(t);
  given.push(t);
  return t;
}

/** Leaves that feed exactly one op input in the graph (candidates for a direct write). */
function singleUseLeaves(order: Tensor[]): Set<Tensor> {
  const uses = new Map<Tensor, number>();
  for (const t of order) {
    for (const input of t.node?.inputs ?? []) {
      if (!input.node && input.requiresGrad) uses.set(input, (uses.get(input) ?? 0) + 1);
    }
  }
  return new Set([...uses].filter(([, n]) => n === 1).map(([t]) => t));
}

function slotFor(leaf: Tensor): Tensor | null {
  const slot = leaf.gradSlot;
  if (!slot || slot.isDisposed || slot.size !== leaf.size) return null;
  if (leaf.grad && !leaf.grad.isDisposed) return null; // accumulating: axpy_ into the slot later
  return slot;
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // iterative DFS: AlexNet's graph is shallow, but user graphs (RNN-style loops) need not be
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const child = inputs[i]!;
      if (child.requiresGrad && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * Accumulates d(root)/d(leaf) into `leaf.grad` for every leaf with requiresGrad that root
 * depends on. `grad` defaults to ones (so a scalar loss needs none). The graph is released
 * afterwards (nodes are cleared), like PyTorch without retain_graph.
 */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) {
    throw new Error('backward: the tensor does not require grad (no input was marked with requiresGrad_())');
  }
  if (grad && grad.size !== root.size) {
    throw new Error(`backward: gradient ${fmtShape(grad.shape)} does not match tensor ${fmtShape(root.shape)}`);
  }
  // Submit the forward pass now: the GPU runs it while the backward pass is being recorded
  // (on a fast GPU, recording AlexNet's step takes longer than its forward pass).
  if (!root.device.inTimedRegion) root.device.flush();
  noGrad(() => {
    const order = topoOrder(root);
    const grads = new Map<Tensor, Tensor>();
    const single = singleUseLeaves(order);
    grads.set(root, grad ? grad.alias() : onesLike(root));
    for (let idx = order.length - 1; idx >= 0; idx--) {
      const t = order[idx]!;
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      const node = t.node;
      if (!node) {
        accumulateLeaf(t, g);
        continue;
      }
      offered = null;
      for (const input of node.inputs) {
        const slot = single.has(input) ? slotFor(input) : null;
        if (slot) (offered ??= new Map()).set(input, slot);
      }
      let gis: Array<Tensor | null> | undefined;
      try {
        gis = timeBackward(node.label, () => node.backward(g));
      } finally {
        offered = null;
        for (const t of given.splice(0)) if (!gis?.includes(t)) t.dispose();
      }
      const handed = new Set<Tensor>();
      node.inputs.forEach((input, i) => {
        let gi = gis![i] ?? null;
        if (!gi) return;
        if (!input.requiresGrad) {
          if (gi !== g) gi.dispose();
          return;
        }
        if (gi.size !== input.size) {
          throw new Error(`backward: ${node.op} returned a gradient ${fmtShape(gi.shape)} for an input ${fmtShape(input.shape)}`);
        }
        // one tensor may be handed to several inputs (add passes dY through): give each its own handle
        if (gi === g || handed.has(gi)) gi = gi.alias();
        handed.add(gi);
        if (gi.shape.length !== input.shape.length || gi.shape.some((d, j) => d !== input.shape[j])) {
          const r = gi.reshape(input.shape);
          gi.dispose();
          gi = r;
        }
        const prev = grads.get(input);
        if (prev) {
          grads.set(input, add(prev, gi));
          prev.dispose();
          gi.dispose();
        } else {
          grads.set(input, gi);
        }
      });
      g.dispose();
      // the graph is used once: drop references so activations can be freed
      t.node = null;
    }
  });
}

function accumulateLeaf(leaf: Tensor, g: Tensor): void {
  const slot = slotFor(leaf);
  if (leaf.grad && !leaf.grad.isDisposed) {
    axpy_(leaf.grad, g);
    g.dispose();
  } else if (slot) {
    // written there by the op (gradTarget), or copied in now
    if (g.storage === slot.storage) {
      gradSlotStats.direct++;
      leaf.grad = keep(g);
      return;
    }
    gradSlotStats.copied++;
    const d = slot.device;
    d.copy(g.buffer, g.byteOffset, slot.buffer, slot.byteOffset, slot.byteLength);
    g.dispose();
    leaf.grad = keep(slot.alias());
  } else {
    // A leaf's gradient outlives any tidy() scope it was made in, and must own its buffer:
    // g may share one with another leaf's gradient (add hands dY to both inputs).
    leaf.grad = keep(g.storage.refs > 1 ? scaleShift(g, 1, 0) : g.alias());
    g.dispose();
  }
}
