// SPDX-License-Identifier: MIT
// Profiling, the layer scopes: per-layer GPU timing for the profiler (`alexnet profile`,
// profileTrainStep in src/train/profile-step.ts, which runs the steps and builds the table).
//
// Containers run each child's forward inside `labelScope(name, fn, timed)`, with timed =
// true for leaf layers. While a profile is active, a timed scope's work is recorded in its
// own timestamped compute pass (timed scopes never nest: an inner one just relabels), and
// every graph node created inside it remembers the label, so backward times the node's
// backward rule under the same name. With no profile active a scope only sets a label:
// no passes, no cost.

import type { Device } from './device.js';

const state = {
  device: null as Device | null,
  label: '',
  inTimed: false,
};

/** The label of the innermost layer scope ('' outside any). */
export function currentLabel(): string {
  return state.label;
}

/** The dotted name of a child of the current scope: `features` + `0` → `features.0`. */
export function childLabel(name: string): string {
  return state.label ? `${state.label}.${name}` : name;
}

/** Runs fn as the work of layer `label` (timed when a profile is active and `timed`). */
export function labelScope<T>(label: string, fn: () => T, timed = true): T {
  const prev = state.label;
  state.label = label;
  try {
    if (state.device && timed && !state.inTimed) {
      state.inTimed = true;
      let out!: T;
      try {
        state.device.timed(`${label}|fwd`, () => {
          out = fn();
        });
      } finally {
        state.inTimed = false;
      }
      return out;
    }
    return fn();
  } finally {
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
