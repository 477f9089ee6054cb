// SPDX-License-Identifier: MIT
// `alexnet tune`: measures every kernel version on the problems of a training step and saves
// the fastest per problem in the autotune cache (or shows the cache with --show).

import { parseArgs } from 'node:util';
import { defaultTuneCachePath, readTuneCache, saveTuneEntries } from '../autotune-cache.js';
import type { TuneEntry } from '../../tensor/autotune-table.js';
import { buildModel } from './checkpoint.js';
import { ensureDevice, parseInteger, type CommandContext } from './common.js';
import { checkInputFits } from './input-fit.js';
import { parseStepModel, STEP_MODEL_OPTIONS } from './step-model.js';

export const TUNE_USAGE = `  tune      [--model PRESET] [--input-size N] [--width F] [--batch-size N] [--classes N]
            [--runs N] [--cache FILE] [--dry-run] [--show] [--json]`;

export async function tuneCommand(args: string[], ctx: CommandContext): Promise<number> {
  const io = ctx.io;
  const { values } = parseArgs({
    args,
    options: {
      ...STEP_MODEL_OPTIONS,
      runs: { type: 'string' },
      cache: { type: 'string' },
      'dry-run': { type: 'boolean' },
      show: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    allowPositionals: false,
    strict: true,
  });
  const path = values.cache ?? defaultTuneCachePath();
  // every option is checked before the device is taken (a bad command line starts no GPU)
  const { preset, inputSize, width, batch, numClasses } = parseStepModel(values);
  const runs = parseInteger('runs', values.runs, 1, 3);
  const device = await ensureDevice(ctx);
  const adapter = device.describe();
  if (values.show) {
    const entries = readTuneCache(path)?.adapters[adapter] ?? {};
    io.stdout(values.json ? JSON.stringify({ adapter, path, entries }, null, 2) + '\n' : formatTuneTable(adapter, entries) + `\n(${path})\n`);
    return 0;
  }
  const { tuneTrainStep } = await import('../../train/autotune-step.js');
  checkInputFits(device, { preset, inputSize, numClasses, width }, batch);
  const model = buildModel({ preset, numClasses, inputSize, seed: 1, width });
  const log = values.json ? undefined : (line: string) => io.stderr(line + '\n');
  const r = await tuneTrainStep(model, { batch, inputShape: [3, inputSize, inputSize], numClasses, runs, log });
  model.dispose();
  if (!values['dry-run']) await saveTuneEntries(adapter, r.entries, path);
  const saved = values['dry-run'] ? 'not saved (--dry-run)' : `saved to ${path}`;
  io.stdout(values.json ? JSON.stringify({ adapter, path: values['dry-run'] ? null : path, entries: r.entries }, null, 2) + '\n'
    : formatTuneTable(adapter, r.entries) + `\n${Object.keys(r.entries).length} problems, ${saved}\n`);
  return 0;
}

/** The tuned problems as a table: the rule's choice, the measured choice, the times. */
export function formatTuneTable(adapter: string, entries: Record<string, TuneEntry>): string {
  const lines = [`autotune: ${adapter}`, '', '| problem | rule | tuned | ms per version | left out |', '|---|---|---|---|---|'];
  for (const [key, e] of Object.entries(entries)) {
    const times = Object.entries(e.ms).sort((a, b) => a[1] - b[1]).map(([v, t]) => `${v} ${t.toFixed(2)}`).join(', ');
    const gain = e.choice !== e.rule && e.ms[e.rule] !== undefined && e.ms[e.choice] ? ` (${(e.ms[e.rule]! / e.ms[e.choice]!).toFixed(2)}x)` : '';
    const skipped = Object.entries(e.skipped ?? {}).map(([v, why]) => `${v}: ${why}`).join('; ');
    lines.push(`| ${key} | ${e.rule} | ${e.choice}${gain} | ${times} | ${skipped} |`);
  }
  return lines.join('\n');
}
