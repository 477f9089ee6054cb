// SPDX-License-Identifier: MIT
// Gradient slots: how a parameter's gradient lands in a flat optimizer's gradient arena
// without a copy (docs/architecture.md, "Flat parameters: arenas").
//
// A leaf with a `gradSlot` (its place in the arena) that has no gradient yet and feeds
// exactly one op gets that slot offered to the op's backward rule. The rules that make
// parameter gradients (matmul, conv2d's weight gradient, the bias sums, batch norm,
// spaceToDepth) ask for it with `gradTarget(input)` and write straight into it; any other
// rule's result is copied in afterwards. Either way the optimizer finds every gradient in one
// buffer. autograd.ts calls `SlotOffers.run` around each rule and `storeInSlot` for leaves.

import { poisonIfOn } from './poison.js';
import { keep } from './scope.js';
import type { Tensor } from './tensor.js';

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

/** The slot a leaf's gradient may be written into now, or null. */
function slotFor(leaf: Tensor): Tensor | null {
  const slot = leaf.gradSlot;
  if (!slot || slot.isDisposed || slot.size !== leaf.size) return null;
  if (leaf.grad && !leaf.grad.isDisposed) return null; // accumulating: axpy_ into the slot later
  return slot;
}

/** The offers of one backward pass. */
export class SlotOffers {
  /** leaves that feed exactly one op input in the graph (candidates for a direct write) */
  private readonly single = new Set<Tensor>();

  /** `order`: the graph's tensors, as autograd visits them. */
  constructor(order: readonly Tensor[]) {
    const uses = new Map<Tensor, number>();
    for (const t of order) {
      for (const input of t.node?.inputs ?? []) {
        if (!input.node && input.requiresGrad) uses.set(input, (uses.get(input) ?? 0) + 1);
      }
    }
    for (const [t, n] of uses) if (n === 1) this.single.add(t);
  }

  /**
   * Runs a node's backward rule with the slots of its single-use leaf inputs offered to
   * gradTarget; afterwards frees the slot handles the rule took but did not return.
   */
  run(inputs: readonly Tensor[], rule: () => Array<Tensor | null>): Array<Tensor | null> {
    offered = null;
    for (const input of inputs) {
      const slot = this.single.has(input) ? slotFor(input) : null;
      if (slot) (offered ??= new Map()).set(input, slot);
    }
    let gis: Array<Tensor | null> | undefined;
    try {
      gis = rule();
      return gis;
    } finally {
      offered = null;
      for (const t of given.splice(0)) if (!gis?.includes(t)) t.dispose();
    }
  }
}

/**
 * Stores a leaf's complete gradient `g` in its slot, when it has one and no gradient yet:
 * `g` is the slot itself when the rule wrote it there (gradTarget), else it is copied in.
 * Returns false (and does nothing) when the leaf has no free slot.
 */
export function storeInSlot(leaf: Tensor, g: Tensor): boolean {
  const slot = slotFor(leaf);
  if (!slot) return false;
  if (g.storage === slot.storage) {
    gradSlotStats.direct++;
    leaf.grad = keep(g);
    return true;
  }
  gradSlotStats.copied++;
  slot.device.copy(g.buffer, g.byteOffset, slot.buffer, slot.byteOffset, slot.byteLength);
  g.dispose();
  leaf.grad = keep(slot.alias());
  return true;
}
