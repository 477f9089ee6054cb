// SPDX-License-Identifier: MIT
// Copying values into a tensor: from another tensor (a GPU copy) or from CPU values with
// their shape (an upload). Layers load weights this way (Module.loadStateDict) and
// optimizers their state (Optimizer.loadState), so it lives below both.

import type { Tensor } from './tensor.js';

/** A tensor given to `loadStateDict`: a GPU tensor or CPU values with their shape. */
export type TensorLike = Tensor | { shape: readonly number[]; data: Float32Array; dtype?: string };

/** Whether a TensorLike is a GPU tensor (rather than CPU values). */
export function isGpuTensor(t: TensorLike): t is Tensor {
  return typeof (t as Tensor).toArray === 'function';
}

/** Writes src's values into target's buffer (a GPU copy, or an upload from the CPU). */
export function copyInto(target: Tensor, src: TensorLike): void {
  const d = target.device;
  if (isGpuTensor(src)) {
    if (src === target) return;
    d.copy(src.buffer, src.byteOffset, target.buffer, target.byteOffset, target.byteLength);
  } else {
    d.upload(target.buffer, src.data, target.byteOffset);
  }
}
