// SPDX-License-Identifier: MIT
// Poisoning (tests): when on, every new tensor from `Tensor.empty` and every gradient slot
// handed to a backward rule is filled with NaN before any kernel writes it, so a kernel that
// forgets an element is caught. Off by default. The fill itself is a kernel, so the package
// entry (src/tensor/index.ts) installs it as a hook: this file runs no op.

import type { Tensor } from './tensor.js';

let poisonOutputs = false;
let poisonHook: ((t: Tensor) => void) | null = null;

/** Turns poisoning of new outputs on or off. */
export function setPoison(on: boolean): void {
  poisonOutputs = on;
}

/** Installs the function that fills a tensor with NaN. */
export function setPoisonHook(h: (t: Tensor) => void): void {
  poisonHook = h;
}

/** Poisons t (NaN) when poisoning is on. */
export function poisonIfOn(t: Tensor): void {
  if (poisonHook && poisonOutputs) poisonHook(t);
}
