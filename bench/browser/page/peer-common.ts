// SPDX-License-Identifier: MIT
// What the peers' pages share: whole steps timed in wall time (warm-up first, then the median),
// and the check that an output is what it should be before its time counts.
import { median } from '../../common.js';
import type { WorkloadOptions } from '../../workloads.js';

/**
 * `step` (which must finish its work, result read back) run `opts.warmup` times untimed
 * (default 1: a peer's step can take minutes on a software adapter), then `opts.repeats`
 * times (default 3) timed; the median in ms.
 */
export async function timeSteps(opts: WorkloadOptions, step: () => Promise<void>): Promise<number> {
  for (let i = 0; i < (opts.warmup ?? 1); i++) await step();
  const times: number[] = [];
  for (let i = 0; i < (opts.repeats ?? 3); i++) {
    const t = performance.now();
    await step();
    times.push(performance.now() - t);
  }
  return median(times);
}

/** Throws unless `data` has the shape asked for and every value is finite; else says what was checked. */
export function checkOutput(what: string, data: ArrayLike<number>, shape: readonly number[], want: readonly number[]): string {
  const n = want.reduce((a, b) => a * b, 1);
  if (shape.join('x') !== want.join('x') || data.length !== n) {
    throw new Error(`${what}: shape [${shape.join(', ')}] with ${data.length} values, expected [${want.join(', ')}]`);
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new Error(`${what}: value ${i} is ${data[i]}`);
  }
  return `checked: ${want.length ? `shape [${want.join(', ')}]` : 'a scalar'}, finite`;
}
