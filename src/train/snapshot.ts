// SPDX-License-Identifier: MIT
// GPU copies of a model's state (parameters and buffers): best-weights restore, EMA swaps.

import { keep, Tensor } from '../tensor/index.js';
import type { NamedTensors, TrainableModel } from './model.js';

// ---- weights snapshots -------------------------------------------------------------------------

function entriesOf(named: NamedTensors): [string, Tensor][] {
  if (named instanceof Map) return [...named.entries()];
  if (Symbol.iterator in (named as object)) return [...(named as Iterable<[string, Tensor]>)];
  return Object.entries(named as Record<string, Tensor>);
}

/** Every tensor of the model's state, by name: stateDict (with buffers) when there is one. */
export function stateTensors(model: TrainableModel): [string, Tensor][] {
  if (typeof model.stateDict === 'function') return entriesOf(model.stateDict());
  if (typeof model.namedParameters === 'function') return entriesOf(model.namedParameters());
  return [...model.parameters()].map((t, i) => [String(i), t]);
}

interface Snapshot {
  tensors: Map<string, Tensor>;
  disposed: boolean;
}

const snapshotRegistry = new FinalizationRegistry<Map<string, Tensor>>((tensors) => {
  for (const t of tensors.values()) t.dispose();
});

/** GPU copies of every state tensor (no readback). */
export function snapshotWeights(model: TrainableModel): Snapshot {
  const tensors = new Map<string, Tensor>();
  for (const [name, t] of stateTensors(model)) {
    const copy = keep(Tensor.empty(t.shape, t.dtype));
    copy.device.copy(t.buffer, t.byteOffset, copy.buffer, copy.byteOffset, t.byteLength);
    tensors.set(name, copy);
  }
  const snapshot: Snapshot = { tensors, disposed: false };
  snapshotRegistry.register(snapshot, tensors, snapshot);
  return snapshot;
}

/** Copies a snapshot back into the model's tensors, on the GPU. */
export function restoreWeights(model: TrainableModel, snapshot: unknown): void {
  const s = snapshot as Snapshot;
  if (!s || !(s.tensors instanceof Map) || s.disposed) throw new Error('restoreWeights: not a live snapshot from snapshotWeights()');
  for (const [name, t] of stateTensors(model)) {
    const src = s.tensors.get(name);
    if (!src) throw new Error(`restoreWeights: the snapshot has no tensor '${name}'`);
    if (src.size !== t.size) throw new Error(`restoreWeights: '${name}' has ${t.size} elements, the snapshot ${src.size}`);
    t.device.copy(src.buffer, src.byteOffset, t.buffer, t.byteOffset, t.byteLength);
  }
}

export function disposeSnapshot(snapshot: unknown): void {
  const s = snapshot as Snapshot;
  if (!s || s.disposed) return;
  s.disposed = true;
  snapshotRegistry.unregister(s);
  for (const t of s.tensors.values()) t.dispose();
}
