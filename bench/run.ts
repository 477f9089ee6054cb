// SPDX-License-Identifier: MIT
// Benchmark runner: `npm run bench -- [matmul] [conv] [pipeline] [--json] [--quick]`.
// Prints a table per benchmark (GFLOP/s with the error against the reference in the same
// row), or JSON rows for machines with --json.
import { pathToFileURL } from 'node:url';
import { initDevice } from '../src/node/device.js';
import { benchMatmul } from './matmul.js';
import { printTable, type BenchRow } from './common.js';

type Runner = (args: { device: Awaited<ReturnType<typeof initDevice>>; quick: boolean; json: boolean }) => Promise<BenchRow[]>;

const optional = async (path: string, exportName: string): Promise<Runner | null> => {
  try {
    const mod = (await import(path)) as Record<string, unknown>;
    const fn = mod[exportName];
    return typeof fn === 'function' ? (fn as Runner) : null;
  } catch {
    return null;
  }
};

export async function runBench(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const names = argv.filter((a) => !a.startsWith('--'));
  const wanted = names.length ? names : ['matmul', 'conv'];
  const device = await initDevice();
  const log = json ? () => {} : (s: string) => console.log(s);
  const all: (BenchRow & { device: string })[] = [];
  try {
    log(`device: ${device.describe()}${device.features.timestamp ? ' (timestamp queries)' : ' (wall clock)'}`);
    for (const name of wanted) {
      let rows: BenchRow[];
      if (name === 'matmul') {
        rows = await benchMatmul(device, { quick });
      } else if (name === 'conv') {
        const fn = await optional('./conv2d.js', 'benchConvRunner');
        if (!fn) {
          log('conv: bench/conv2d.ts is not available');
          continue;
        }
        rows = await fn({ device, quick, json });
      } else if (name === 'train' || name === 'alexnet') {
        const fn = await optional('./alexnet.js', 'benchAlexnetRunner');
        if (!fn) {
          log(`${name}: bench/alexnet.ts is not available`);
          continue;
        }
        rows = await fn({ device, quick, json });
      } else {
        console.error(`unknown benchmark '${name}' (known: matmul, conv, train)`);
        return 2;
      }
      if (!json) printTable(name, rows);
      all.push(...rows.map((r) => ({ ...r, device: device.describe() })));
    }
    if (json) console.log(JSON.stringify(all, null, 1));
    return 0;
  } finally {
    device.destroy();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runBench(process.argv.slice(2)).then((code) => process.exit(code));
}
