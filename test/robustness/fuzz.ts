// Shared by the fuzz suites: a seeded generator, the number of cases, the seed of this run and
// how to replay it, the count of cases each suite ran, and the one check every case makes of an
// error (it names the input, and it is not a crash of our own code).
import { appendFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { mulberry32 } from '../../src/tensor/rng.js';

/**
 * Cases per suite: `base` in `npm test` (a few seconds), times ALEXNET_FUZZ for a longer run
 * (`ALEXNET_FUZZ=20 npx vitest run test/robustness`).
 */
export function fuzzCases(base: number): number {
  const scale = Number(process.env['ALEXNET_FUZZ'] ?? 1);
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** A test time limit for `base` ms of work at scale 1, grown with ALEXNET_FUZZ. */
export function fuzzTimeout(base: number): number {
  return Math.max(base, Math.round((base * fuzzCases(1000)) / 1000));
}

/**
 * This run's seed: drawn afresh for every run by the test setup (test/helpers/global-setup.ts),
 * which prints it; ALEXNET_FUZZ_SEED=S replays a run exactly. Every suite derives its own
 * generator from it.
 */
export const FUZZ_SEED = seedOf(process.env['ALEXNET_FUZZ_SEED']);

function seedOf(v: string | undefined): number {
  if (v === undefined) return randomInt(2 ** 32);
  if (!/^\d+$/.test(v)) throw new Error(`ALEXNET_FUZZ_SEED must be an integer seed, got '${v}'`);
  return Number(v) >>> 0;
}

/** What a failure message says so that it can be replayed: the seed and the command. */
export function replay(file: string): string {
  return `fuzz seed ${FUZZ_SEED}: replay with ALEXNET_FUZZ_SEED=${FUZZ_SEED} npx vitest run ${file}`;
}

/** Records that `suite` ran `cases` cases (the test setup prints the total, and checks it). */
export function reportFuzzCases(suite: string, cases: number): void {
  const file = process.env['ALEXNET_FUZZ_COUNTS'];
  if (file) appendFileSync(file, JSON.stringify({ suite, cases }) + '\n');
}

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed >>> 0);
  }
  float(): number {
    return this.next();
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Strings that break parsers: empty, not numbers, out of range, broken JSON, huge, odd characters. */
export const GARBAGE = [
  '', ' ', 'abc', '-5', '-1', '0', '0.5', '3.5', '1e309', '-1e309', 'NaN', 'Infinity', 'null', 'true', 'false', '[]', '{}',
  '[1,2', '{"a":', '"str"', '99999999999', '1e6', '[["x"]]', '{"rescale":"x"}', '["a","a"]', '[1,2,3]', '\u0000', 'é🙂', 'x'.repeat(5000),
  '{"type":"SGD","hyper":{},"steps":[-1]}', '{"preset":"paper","numClasses":0}', '["circles","stripes","x"]',
] as const;

/**
 * The acceptable failure of a case: an Error whose message names `name` (the file), and not a
 * TypeError/RangeError/SyntaxError escaping from our code. Returns a description of what is
 * wrong, or null.
 */
export function badError(err: unknown, name: string): string | null {
  if (!(err instanceof Error)) return `threw a non-Error: ${String(err)}`;
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError || err instanceof ReferenceError) {
    return `${err.name}: ${err.message}`;
  }
  if (!err.message.includes(name)) return `the message does not name ${name}: ${err.message}`;
  return null;
}
