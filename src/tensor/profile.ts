// SPDX-License-Identifier: MIT
// Per-layer GPU timing for the profiler (`alexnet profile`, `profileStep`).
//
// Layers run their forward inside `labelScope(name, fn)`. While a profile is active, the
// outermost scope's work is recorded in its own timestamped compute pass, and every graph
// node created inside it remembers the label, so backward can time the node's backward
// rule under the same name. With no profile active, a scope only sets a label: no passes,
// no cost.

import type { Device } from './device.js';

const state = {
  device: null as Device | null,
  label: '',
  depth: 0,
};

/** The label of the innermost layer scope ('' outside any). */
export function currentLabel(): string {
  return state.label;
}

/** Runs fn as the work of layer `label` (timed when a profile is active). */
export function labelScope<T>(label: string, fn: () => T): T {
  const prev = state.label;
  state.label = label;
  state.depth++;
  try {
    if (state.device && state.depth === 1) {
      let out!: T;
      state.device.timed(`${label}|fwd`, () => {
        out = fn();
      });
      return out;
    }
    return fn();
  } finally {
    state.depth--;
    state.label = prev;
  }
}

/** Times a node's backward rule when a profile is active. */
export function timeBackward<T>(label: string | undefined, fn: () => T): T {
  if (!state.device || !label) return fn();
  let out!: T;
  state.device.timed(`${label}|bwd`, () => {
    out = fn();
  });
  return out;
}

/** Starts (device) or stops (null) recording per-layer timings. */
export function setProfiling(device: Device | null): void {
  state.device = device;
}

export function isProfiling(): boolean {
  return state.device !== null;
}
