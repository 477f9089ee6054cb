// SPDX-License-Identifier: MIT
// `alexnet bench [kernel...]`: hands over to the benchmark runner (bench/run.ts) when the
// build has it (a repository checkout; not an installed package).

import type { CommandContext } from './common.js';

export const BENCH_USAGE = '  bench     [kernel...]';

export async function benchCommand(args: string[], ctx: CommandContext): Promise<number> {
  const specifier = '../../../bench/run.js';
  let mod: { runBench?: (args: string[]) => unknown };
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch (err) {
    ctx.io.stderr(`alexnet bench: the benchmark runner (bench/run.ts) is not available in this build: ${(err as Error).message.split('\n')[0]}\n`);
    return 1;
  }
  if (typeof mod.runBench !== 'function') {
    ctx.io.stderr('alexnet bench: bench/run does not export runBench(args)\n');
    return 1;
  }
  const r = await mod.runBench(args);
  return typeof r === 'number' ? r : 0;
}
