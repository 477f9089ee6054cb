// SPDX-License-Identifier: MIT
// The exit status of a failed command, by the kind of error (docs/cli.md "Exit status"):
//   1  failure while running (GPU error, loss became NaN, a file could not be written)
//   2  bad arguments or inputs (UsageError, or node:util's parseArgs errors): the command line,
//      a missing or non-regular file, a folder without class subfolders
//   3  an input file that cannot be used: a model file that is corrupt or whose metadata does
//      not fit the model (CheckpointError, SafetensorsError), an image named on the command line
//      that cannot be decoded (ImageDecodeError), or a data folder in which no image can be read
//      (DataError)
//   128 + n  stopped by signal n (StoppedBySignal: SIGINT 130, SIGTERM 143, SIGHUP 129)

import { CheckpointError } from '../../io/checkpoint-meta.js';
import { SafetensorsError } from '../../io/safetensors.js';
import { ImageDecodeError } from '../data/decode.js';
import { signalStatus, StoppedBySignal } from '../stop-signals.js';
import { UsageError } from './common.js';

/** Nothing to train on or to evaluate: every image of a folder failed to load. */
export class DataError extends Error {
  override name = 'DataError';
}

export function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

export function exitStatusOf(err: unknown): number {
  if (err instanceof StoppedBySignal) return signalStatus(err.signal);
  if (err instanceof UsageError || isParseArgsError(err)) return 2;
  if (err instanceof CheckpointError || err instanceof SafetensorsError || err instanceof ImageDecodeError || err instanceof DataError) return 3;
  return 1;
}
