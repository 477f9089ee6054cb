// SPDX-License-Identifier: MIT
// What the harness (bench/browser/run.ts, Node) and the page (bench/browser/page/page.ts) say
// to each other: a job, the adapter's facts, the job's state as poll() returns it.
import type { BenchRow } from '../common.js';
import type { WorkloadOptions } from '../workloads.js';

export type Engine = 'library' | 'tfjs' | 'ort';

export interface PageJob {
  engine: Engine;
  workload: string;
  opts: Omit<WorkloadOptions, 'log'>;
}

export interface AdapterFacts {
  /** the adapter's info strings, or '(adapter info hidden)' */
  description: string;
  isFallbackAdapter: boolean | null;
  timestamp: boolean;
  maxStorageBufferBindingSize: number;
  userAgent: string;
}

export interface PageState {
  status: 'idle' | 'running' | 'done' | 'error';
  job?: PageJob;
  rows: BenchRow[];
  /** lines logged since the last poll (AlexNet's per-layer profile) */
  log: string[];
  error?: string;
  /** requests the page's Content-Security-Policy blocked (anything not from its own origin) */
  blocked: string[];
  ms?: number;
}
