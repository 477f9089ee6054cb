// SPDX-License-Identifier: MIT
// Checkpoints in the browser: the core's safetensors bytes (src/io/checkpoint.ts, the same
// format and metadata keys the Node CLI writes) offered as a download, kept in IndexedDB so a
// reload does not lose the model, and read back from a picked file.
import { checkpointBytes, modelFromCheckpoint, type LoadedModel, type ModelMetadata } from '../io/checkpoint.js';
import type { Module } from '../layers/module.js';
import type { Optimizer } from '../optim/optimizer.js';

/** What the page and the CLI both write into a checkpoint's metadata (the CLI's CheckpointMeta). */
export interface WebCheckpointMeta {
  preset: string;
  classNames: string[];
  inputSize: number;
  preprocessing: { rescale: number; resizeMode: 'stretch' | 'center-crop' };
  width?: number;
  seed?: number;
  optimizer?: string;
  /** epochs completed (the epoch to resume at, 0-based) */
  epoch?: number;
  valAccuracy?: number;
}

/** The checkpoint's bytes: weights, optimizer state (to resume exactly) and the metadata. */
export function webCheckpointBytes(model: Module, meta: WebCheckpointMeta, optimizer?: Optimizer): Promise<Uint8Array> {
  return checkpointBytes(model, { metadata: meta as unknown as ModelMetadata, optimizer });
}

/** A loaded checkpoint with its metadata checked (as the CLI's readMeta does). */
export interface WebLoadedCheckpoint extends LoadedModel {
  meta: WebCheckpointMeta;
}

/** Rebuilds the model from checkpoint bytes; `source` (a file name) names them in errors. */
export function loadCheckpointBytes(bytes: Uint8Array, source: string): WebLoadedCheckpoint {
  const loaded = modelFromCheckpoint(bytes, source);
  const m = loaded.metadata;
  const inputSize = Number(m.inputSize);
  if (typeof m.preset !== 'string' || !Array.isArray(m.classNames) || !Number.isFinite(inputSize)) {
    loaded.model.dispose();
    throw new Error(`${source}: the checkpoint's metadata lacks preset, class_names or input_size`);
  }
  const pre = (m.preprocessing ?? {}) as Partial<WebCheckpointMeta['preprocessing']>;
  const num = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : Number(v));
  const meta: WebCheckpointMeta = {
    preset: m.preset,
    classNames: m.classNames.map(String),
    inputSize,
    preprocessing: { rescale: pre.rescale ?? 1 / 255, resizeMode: pre.resizeMode ?? 'stretch' },
    width: num(m['width']),
    seed: num(m['seed']),
    optimizer: typeof m['optimizer'] === 'string' ? m['optimizer'] : undefined,
    epoch: num(m['epoch']),
    valAccuracy: num(m['valAccuracy']),
  };
  return { ...loaded, meta };
}

/** Reads a picked file (or any Blob) and loads it as a checkpoint. */
export async function loadCheckpointFile(file: Blob, name = (file as File).name ?? 'checkpoint'): Promise<WebLoadedCheckpoint> {
  return loadCheckpointBytes(new Uint8Array(await file.arrayBuffer()), name);
}

/** Offers bytes as a download named `filename` (an <a download> click). */
export function downloadBytes(bytes: Uint8Array, filename: string, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---- IndexedDB ---------------------------------------------------------------------------------

const DB_NAME = 'webgpu-alexnet';
const STORE = 'checkpoints';

/** A checkpoint as kept in IndexedDB. */
export interface StoredCheckpoint {
  key: string;
  bytes: Uint8Array;
  savedAt: number;
  /** anything the page wants back with it (its history, say) */
  extra?: unknown;
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error('this browser (or mode) has no IndexedDB'));
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'key' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new Error(`IndexedDB: cannot open ${DB_NAME}: ${req.error?.message}`));
  });
}

async function withStore<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(new Error(`IndexedDB: ${tx.error?.message ?? 'transaction failed'}`));
      tx.onabort = () => reject(new Error(`IndexedDB: ${tx.error?.message ?? 'transaction aborted (storage full?)'}`));
    });
  } finally {
    db.close();
  }
}

/** Keeps checkpoint bytes under `key` (replacing what was there). */
export async function storeCheckpoint(key: string, bytes: Uint8Array, extra?: unknown): Promise<void> {
  const entry: StoredCheckpoint = { key, bytes, savedAt: Date.now(), extra };
  await withStore('readwrite', (s) => s.put(entry));
}

/** The checkpoint kept under `key`, or undefined. */
export async function getStoredCheckpoint(key: string): Promise<StoredCheckpoint | undefined> {
  return (await withStore('readonly', (s) => s.get(key))) as StoredCheckpoint | undefined;
}

/** Keys of the kept checkpoints. */
export async function storedCheckpointKeys(): Promise<string[]> {
  return (await withStore('readonly', (s) => s.getAllKeys())).map(String);
}

export async function deleteStoredCheckpoint(key: string): Promise<void> {
  await withStore('readwrite', (s) => s.delete(key));
}
