// SPDX-License-Identifier: MIT
// The callbacks `alexnet train` adds to fit()'s: stop when a data set yielded nothing readable,
// and stop after the current step when a stop signal arrives.

import { Callback } from '../../train/callbacks.js';
import type { ImageDataset } from '../data/index.js';
import { quotePath } from '../quote.js';
import { StoppedBySignal, type StopListener } from '../stop-signals.js';
import { DataError } from './exit-status.js';

/**
 * Stops the run with a DataError (exit status 3) when every file of a data set failed to load
 * in an epoch: nothing to train on, or nothing to validate with. First in the callback list, so
 * no checkpoint is written for such an epoch.
 */
export class NothingReadable extends Callback {
  constructor(
    private readonly trainSet: ImageDataset,
    private readonly trainFlag: string,
    private readonly trainDir: string,
    private readonly valSet: ImageDataset,
    private readonly valFlag: string,
    private readonly valDir: string,
  ) {
    super();
  }

  override onEpochEnd(): void {
    for (const [ds, flag, dir, what] of [[this.trainSet, this.trainFlag, this.trainDir, 'training'], [this.valSet, this.valFlag, this.valDir, 'validation']] as const) {
      const failed = ds.skipped.files;
      if (ds.length > 0 && ds.files.every((f) => failed.has(f))) {
        const [file, reason] = failed.entries().next().value!;
        throw new DataError(`${flag} ${quotePath(dir)}: none of the ${ds.length} ${what} images could be read (e.g. ${quotePath(file)}: ${reason}); nothing to ${what === 'training' ? 'train on' : 'validate with'}`);
      }
    }
  }
}

/**
 * Throws StoppedBySignal once a stop signal has arrived, at the next step or epoch boundary: the
 * step being run finishes, no new one starts, and no checkpoint or history row is written for
 * the unfinished epoch, so the folder's files stay those of the last completed epoch. (A signal
 * that arrives during validation takes effect after that epoch's files are written.)
 */
export class StopOnSignal extends Callback {
  constructor(private readonly stop: StopListener) {
    super();
  }

  private check(): void {
    if (this.stop.signal) throw new StoppedBySignal(this.stop.signal);
  }

  override onTrainBegin(): void {
    this.check();
  }

  override onEpochBegin(): void {
    this.check();
  }

  override onBatchBegin(): void {
    this.check();
  }

  /** A signal during the validation pass stops it too: that epoch is not completed. */
  override onTestBatchBegin(): void {
    this.check();
  }
}
