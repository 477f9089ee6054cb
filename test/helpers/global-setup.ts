// Run once by vitest before any test file (vitest.config.ts globalSetup), in the main process;
// the workers inherit its environment.
//
// 1. Hermetic: the run gets its own temp folder and the autotune cache points into it, so no
//    test reads or writes the user's cache. (XDG_CACHE_HOME is left alone: Mesa keeps its
//    compiled shaders there, which changes no result, and without it every run would compile
//    every kernel again.)
// 2. Fuzzing: each run draws a fresh seed (ALEXNET_FUZZ_SEED=S replays a run exactly) and prints
//    it; the fuzz suites report how many cases they ran, and the total is printed at the end. A
//    run of every fuzz suite must make at least FUZZ_MIN_CASES cases.
// 3. The compiled build: tests that run dist/ must never run a stale one. When a source file is
//    newer than its output (or the output is missing), dist/ is rebuilt here first, and a failed
//    build stops the run with the compiler's message.
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The fuzz suites of test/robustness that, run together, must make FUZZ_MIN_CASES cases. */
export const FUZZ_SUITES = ['checkpoint', 'cli-args', 'folders', 'images'];
export const FUZZ_MIN_CASES = 2000;

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** What tsconfig.json leaves out of the build: the browser benchmark's page (esbuild bundles it). */
const NOT_BUILT = /^bench\/browser\/page\//;

/** The first source (src/, bench/: tsconfig.json's include) whose dist/ output is missing or older, or null. */
export function staleBuild(root = ROOT): string | null {
  for (const src of [...sources(join(root, 'src')), ...sources(join(root, 'bench'))]) {
    if (NOT_BUILT.test(relative(root, src).replace(/\\/g, '/'))) continue;
    const out = join(root, 'dist', relative(root, src)).replace(/\.ts$/, '.js');
    if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) return relative(root, src);
  }
  return null;
}

function ensureBuild(): void {
  const stale = staleBuild();
  if (stale === null) return;
  console.log(`test setup: dist/ is older than ${stale} (or missing): building it (npm run build) before the tests that run it`);
  try {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'embed-wgsl.mjs')], { cwd: ROOT, stdio: 'pipe' });
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'pipe' });
  } catch (e) {
    const out = e as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`test setup: dist/ is stale and \`npm run build\` failed, so the tests that run dist/ cannot run:\n${out.stdout ?? ''}${out.stderr ?? ''}`);
  }
  const still = staleBuild();
  if (still !== null) throw new Error(`test setup: after \`npm run build\`, dist/ is still older than ${still}`);
}

export default function setup(): () => void {
  const temp = mkdtempSync(join(tmpdir(), 'alexnet-test-run-'));
  process.env.WEBGPU_ALEXNET_AUTOTUNE_CACHE = join(temp, 'cache', 'webgpu-alexnet', 'autotune.json');
  const given = process.env.ALEXNET_FUZZ_SEED;
  if (given !== undefined && !/^\d+$/.test(given)) throw new Error(`ALEXNET_FUZZ_SEED must be an integer seed, got '${given}'`);
  const seed = given ?? String(randomInt(2 ** 32));
  process.env.ALEXNET_FUZZ_SEED = seed;
  const counts = join(temp, 'fuzz-cases.jsonl');
  process.env.ALEXNET_FUZZ_COUNTS = counts;
  console.log(`fuzz seed ${seed}${given ? ' (from ALEXNET_FUZZ_SEED)' : ''}: replay this run's fuzz cases with ALEXNET_FUZZ_SEED=${seed}`);
  ensureBuild();

  return () => {
    try {
      const lines = existsSync(counts) ? readFileSync(counts, 'utf8').trim().split('\n').filter(Boolean) : [];
      if (lines.length === 0) return;
      const bySuite = new Map<string, number>();
      for (const l of lines) {
        const { suite, cases } = JSON.parse(l) as { suite: string; cases: number };
        bySuite.set(suite, (bySuite.get(suite) ?? 0) + cases);
      }
      const total = [...bySuite.values()].reduce((a, b) => a + b, 0);
      console.log(`fuzz: ${total} cases (${[...bySuite].map(([s, n]) => `${s} ${n}`).join(', ')}), seed ${seed}`);
      const scale = Number(process.env.ALEXNET_FUZZ ?? 1);
      if (FUZZ_SUITES.every((s) => bySuite.has(s)) && !(scale < 1) && total < FUZZ_MIN_CASES) {
        // a teardown's exception is only logged: fail the run through its exit status
        console.error(`fuzz: every fuzz suite ran but made only ${total} cases, fewer than ${FUZZ_MIN_CASES}: FAILED`);
        process.exitCode = 1;
      }
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  };
}
