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
//      the activations plus about one layer of gradients.
// A parameter of a flat optimizer gets its gradient written into its arena slot
// (grad-slots.ts): the rules run through `slots.run`, and leaves are stored with `storeInSlot`.
// `Tensor.backward()` calls this engine: it is registered below when this file loads.

import { add, axpy_, onesLike, scaleShift } from './ops/elementwise.js';
import { SlotOffers, storeInSlot } from './grad-slots.js';
import { timeBackward } from './profile-scopes.js';
import { keep } from './scope.js';
import { fmtShape, noGrad, setBackwardEngine, type Tensor } from './tensor.js';

export { gradTarget, gradSlotStats } from './grad-slots.js';

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
    const slots = new SlotOffers(order);
    const grads = new Map<Tensor, Tensor>();
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
      const gis = slots.run(node.inputs, () => timeBackward(node.label, () => node.backward(g)));
      const handed = new Set<Tensor>();
      node.inputs.forEach((input, i) => {
        let gi = gis[i] ?? null;
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
  if (leaf.grad && !leaf.grad.isDisposed) {
    axpy_(leaf.grad, g);
    g.dispose();
  } else if (!storeInSlot(leaf, g)) {
    // A leaf's gradient outlives any tidy() scope it was made in, and must own its buffer:
    // g may share one with another leaf's gradient (add hands dY to both inputs).
    leaf.grad = keep(g.storage.refs > 1 ? scaleShift(g, 1, 0) : g.alias());
    g.dispose();
  }
}

setBackwardEngine(backward);
