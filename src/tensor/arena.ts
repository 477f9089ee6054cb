// SPDX-License-Identifier: MIT
// Arenas: the float32 storage of many tensors in a few large buffers, each tensor a slot at
// an offset the device can bind alone. A flat optimizer keeps a model's parameters, their
// gradients and its own state (momentum, Adam's moments) in arenas of one layout, so one
// update kernel runs over every parameter at once instead of one dispatch per tensor.
//
// Layout: slot i starts at a multiple of the binding alignment (64 floats on most devices);
// the gaps are zeros and stay zeros (no kernel writes them, and every update rule maps
// p = g = state = 0 to 0). An arena is at most `maxBytes` (the device's largest buffer), so
// a model bigger than one buffer gets several; a tensor never straddles two.

import type { Device } from './device.js';
import { fill_ } from './ops/elementwise.js';
import { keep } from './scope.js';
import { sizeOf, Tensor, type Shape } from './tensor.js';

export interface ArenaLayout {
  /** per slot: which arena, and the element offset in it */
  place: Array<{ arena: number; offset: number }>;
  /** elements of each arena (padding included) */
  sizes: number[];
}

/**
 * Packs tensors of the given element counts in order: each starts aligned, and a new arena
 * begins when the next one would pass `maxElements`.
 */
export function arenaLayout(counts: readonly number[], alignElements: number, maxElements: number): ArenaLayout {
  const place: ArenaLayout['place'] = [];
  const sizes: number[] = [];
  let used = 0;
  for (const n of counts) {
    if (n > maxElements) throw new Error(`arena: a tensor of ${n} elements is larger than one buffer (${maxElements})`);
    const at = Math.ceil(used / alignElements) * alignElements;
    if (sizes.length === 0 || at + n > maxElements) {
      if (sizes.length) sizes[sizes.length - 1] = used;
      sizes.push(0);
      place.push({ arena: sizes.length - 1, offset: 0 });
      used = n;
    } else {
      place.push({ arena: sizes.length - 1, offset: at });
      used = at + n;
    }
  }
  if (sizes.length) sizes[sizes.length - 1] = used;
  return { place, sizes };
}

/** The layout for tensors of these shapes on this device. */
export function layoutFor(shapes: readonly Shape[], device: Device): ArenaLayout {
  const maxBytes = Math.min(device.limits.maxBufferSize, 2 ** 31);
  // the pool rounds a request up by at most 1/16 (BufferPool.bucket)
  const maxElements = Math.floor((maxBytes * 15) / 16 / 4);
  return arenaLayout(shapes.map((s) => sizeOf(s)), device.alignment / 4, maxElements);
}

/** Arenas of one layout, zero-filled, and their slots. */
export class ArenaSet {
  readonly arenas: Tensor[];
  constructor(readonly layout: ArenaLayout, readonly shapes: readonly Shape[], device: Device, name: string) {
    this.arenas = layout.sizes.map((n, k) => {
      const t = keep(Tensor.empty([Math.max(1, n)], 'float32', device));
      fill_(t, 0);
      t.name = `${name}[${k}]`;
      return t;
    });
  }

  /** A new handle on slot i (shape of tensor i), sharing the arena's buffer. */
  slot(i: number): Tensor {
    const p = this.layout.place[i];
    const shape = this.shapes[i];
    if (!p || !shape) throw new Error(`arena: no slot ${i} (${this.shapes.length} slots)`);
    return keep(Tensor.slot(this.arenas[p.arena]!, p.offset * 4, shape));
  }

  /** Whether t is exactly slot i (same buffer, offset and size). */
  holds(i: number, t: Tensor | null | undefined): boolean {
    const p = this.layout.place[i]!;
    const a = this.arenas[p.arena]!;
    return !!t && !t.isDisposed && !a.isDisposed && t.buffer === a.buffer
      && t.byteOffset === a.byteOffset + p.offset * 4 && t.size === sizeOf(this.shapes[i]!);
  }

  dispose(): void {
    for (const a of this.arenas) a.dispose();
  }
}
