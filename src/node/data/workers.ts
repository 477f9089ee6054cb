// Runs batch jobs on worker threads (or inline) behind one interface.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { processBatch, type BatchJob, type BatchResult, type PipelineConfig } from './pipeline.js';

export interface BatchRunner {
  /** Resolves with the batch; jobs may be queued ahead of time (prefetch). */
  run(job: BatchJob): Promise<BatchResult>;
  /** Stops the workers (pending jobs never settle). Safe to call twice. */
  close(): Promise<void>;
  /** Number of worker threads actually used (0 = inline). */
  readonly threads: number;
}

/**
 * The compiled worker entry next to this module. Under vitest (or any TS loader) this module is the
 * .ts source, worker.js does not exist there, and worker_threads cannot run the .ts file itself
 * (Node 20 has no type stripping, and the sources import './x.js' names); then this returns undefined.
 */
export function workerScript(): URL | undefined {
  const url = new URL('./worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : undefined;
}

/** Work done on the main thread, deferred with setImmediate so a prefetched batch is built while the caller awaits the GPU. */
function inlineRunner(config: PipelineConfig): BatchRunner {
  return {
    threads: 0,
    run: (job) => new Promise((resolve, reject) => setImmediate(() => {
      try {
        resolve(processBatch(config, job));
      } catch (e) {
        reject(e);
      }
    })),
    close: async () => {},
  };
}

interface Task {
  job: BatchJob;
  resolve: (r: BatchResult) => void;
  reject: (e: Error) => void;
}

/** A fixed pool: each worker holds at most one job; the rest wait in a FIFO queue. */
function workerRunner(config: PipelineConfig, script: URL, threads: number): BatchRunner {
  const idle: Worker[] = [];
  const busy = new Map<Worker, Task>();
  const queue: Task[] = [];
  let failure: Error | undefined;
  let closed = false;

  const fail = (e: Error) => {
    if (closed || failure) return;
    failure = new Error(`image pipeline worker failed: ${e.message}`, { cause: e });
    for (const t of [...busy.values(), ...queue.splice(0)]) t.reject(failure);
    busy.clear();
  };
  const pump = () => {
    while (idle.length > 0 && queue.length > 0) {
      const w = idle.pop()!;
      const task = queue.shift()!;
      busy.set(w, task);
      w.postMessage(task.job);
    }
  };
  const workers = Array.from({ length: threads }, () => {
    const w = new Worker(script, { workerData: config });
    w.on('message', (result: BatchResult) => {
      const task = busy.get(w);
      busy.delete(w);
      idle.push(w);
      task?.resolve(result);
      pump();
    });
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`worker exited with code ${code}`)));
    idle.push(w);
    return w;
  });

  return {
    threads,
    run: (job) =>
      new Promise((resolve, reject) => {
        if (failure) return reject(failure);
        queue.push({ job, resolve, reject });
        pump();
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

let warnedNoScript = false;

/**
 * `threads` workers when the compiled worker script is available, else inline. The fallback is
 * announced once per process through `warn`: it costs speed, never results.
 */
export function createRunner(config: PipelineConfig, threads: number, warn: (msg: string) => void): BatchRunner {
  if (threads <= 0) return inlineRunner(config);
  const script = workerScript();
  if (!script) {
    if (!warnedNoScript) {
      warnedNoScript = true;
      warn('image pipeline: compiled worker.js not found (running from TypeScript sources?); decoding on the main thread');
    }
    return inlineRunner(config);
  }
  return workerRunner(config, script, threads);
}
