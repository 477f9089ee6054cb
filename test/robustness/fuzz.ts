// Shared by the fuzz suites: a seeded generator, the number of cases, and the one check every
// case makes of an error (it names the input, and it is not a crash of our own code).
import { mulberry32 } from '../../src/tensor/rng.js';

/**
 * Cases per suite: `base` in `npm test` (a few seconds), times ALEXNET_FUZZ for a longer run
 * (`ALEXNET_FUZZ=20 npx vitest run test/robustness`). ALEXNET_FUZZ_SEED changes the seed.
 */
export function fuzzCases(base: number): number {
  const scale = Number(process.env['ALEXNET_FUZZ'] ?? 1);
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** A test time limit for `base` ms of work at scale 1, grown with ALEXNET_FUZZ. */
export function fuzzTimeout(base: number): number {
  return Math.max(base, Math.round((base * fuzzCases(1000)) / 1000));
}

export const FUZZ_SEED = Number(process.env['ALEXNET_FUZZ_SEED'] ?? 14);

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
