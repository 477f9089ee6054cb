// SPDX-License-Identifier: MIT
// The `alexnet` command line: train, predict, evaluate, summary, bench, profile, tune, demo,
// serve, help. This file only parses the command name and dispatches through COMMANDS; each command
// parses its own arguments in src/node/commands/ (demo in ./demo.ts). Every command is reachable
// in-process through `main(argv, io)`, which returns the exit status (the bin sets
// process.exitCode from it). Adding a command is one row of COMMANDS.
//
// Exit status: 0 success, 1 failure while running, 2 bad arguments or inputs, 3 an input file
// that cannot be used (commands/exit-status.ts, docs/cli.md).

import { benchCommand, BENCH_USAGE } from './commands/bench.js';
import { UsageError, type CliIO, type Command } from './commands/common.js';
import { evaluateCommand, EVALUATE_USAGE } from './commands/evaluate.js';
import { exitStatusOf, isParseArgsError } from './commands/exit-status.js';
import { predictCommand, PREDICT_USAGE } from './commands/predict.js';
import { profileCommand, PROFILE_USAGE } from './commands/profile.js';
import { summaryCommand, SUMMARY_USAGE } from './commands/summary.js';
import { trainCommand, TRAIN_USAGE } from './commands/train.js';
import { tuneCommand, TUNE_USAGE } from './commands/tune.js';
import { demoCommand, DEMO_USAGE } from './demo.js';
import { serveCommand, SERVE_USAGE } from './serve.js';
import { destroyDevice } from './device.js';
import { escapeControls } from './quote.js';

/**
 * An error on one line: parseArgs' own line breaks become spaces; every other control character
 * (a path's newline or escape sequence that was not quoted where the message was made) is escaped.
 */
function oneLine(err: Error): string {
  const text = isParseArgsError(err) ? err.message.replace(/\n/g, ' ') : err.message;
  return escapeControls(text);
}

/** Every command: its usage lines (for `alexnet help`) and the function that runs it. */
const COMMANDS: Record<string, { usage: string; run: Command }> = {
  train: { usage: TRAIN_USAGE, run: trainCommand },
  predict: { usage: PREDICT_USAGE, run: predictCommand },
  evaluate: { usage: EVALUATE_USAGE, run: evaluateCommand },
  summary: { usage: SUMMARY_USAGE, run: summaryCommand },
  bench: { usage: BENCH_USAGE, run: benchCommand },
  profile: { usage: PROFILE_USAGE, run: profileCommand },
  tune: { usage: TUNE_USAGE, run: tuneCommand },
  demo: { usage: DEMO_USAGE, run: demoCommand },
  serve: { usage: SERVE_USAGE, run: serveCommand },
};

export const USAGE = `Usage: alexnet <command> [options]

Commands:
${Object.values(COMMANDS).map((c) => c.usage).join('\n')}
  help      [command]

Every command that runs kernels uses the autotune cache written by 'tune' when there is one
(--no-autotune or WEBGPU_ALEXNET_AUTOTUNE=0: the fixed rules only).

See docs/cli.md for every option.
`;

function defaultIO(): CliIO {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    isTTY: Boolean(process.stdout.isTTY),
  };
}

/** Runs one command line (without `node` and the script: `['train', '--data', 'x']`). */
export async function main(argv: readonly string[], io: CliIO = defaultIO()): Promise<number> {
  const [command, ...rest] = argv;
  // a global option: any command may take it
  const ctx = { io, autotune: !rest.includes('--no-autotune') };
  const args = rest.filter((a) => a !== '--no-autotune');
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    }
    const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (entry === undefined) throw new UsageError(`unknown command '${command}'`);
    return await entry.run(args, ctx);
  } catch (err) {
    const status = exitStatusOf(err);
    const who = `alexnet${command && !command.startsWith('-') ? ' ' + command : ''}`;
    if (status === 2) io.stderr(`${who}: ${oneLine(err as Error)}\nRun 'alexnet help' for usage.\n`);
    else if (status > 128) io.stderr(`${who}: ${oneLine(err as Error)} (exit status ${status})\n`);
    else io.stderr(`${who}: error: ${oneLine(err as Error)}\n`);
    return status;
  } finally {
    destroyDevice();
  }
}
