// SPDX-License-Identifier: MIT
// Keras' `CSVLogger`: one row per epoch, appended and flushed as soon as the epoch ends so that
// the file is useful (plottable, tail-able) while training runs and after a crash.

import { appendFile, readFile, writeFile } from 'node:fs/promises';

import { Callback, type Logs } from '../train/callbacks.js';
import { csvValue } from '../train/history.js';

export interface CSVLoggerOptions {
  filename: string;
  separator?: string;
  /** Continue an existing file (resumed training) instead of overwriting it. */
  append?: boolean;
}

export class CSVLogger extends Callback {
  readonly filename: string;
  readonly separator: string;
  readonly append: boolean;
  /** Columns after `epoch`: the first epoch's log names sorted, as Keras, or an appended file's. */
  private keys: string[] | undefined;
  private writeHeader = true;

  constructor(options: CSVLoggerOptions) {
    super();
    this.filename = options.filename;
    this.separator = options.separator ?? ',';
    this.append = options.append ?? false;
  }

  override async onTrainBegin(): Promise<void> {
    this.keys = undefined;
    this.writeHeader = true;
    if (this.append) {
      // A resumed run keeps the existing file's columns, so its rows stay aligned with the header.
      const existing = await readFile(this.filename, 'utf8').catch(() => '');
      const header = existing.split('\n', 1)[0] ?? '';
      if (header !== '') {
        this.keys = header.split(this.separator).slice(1);
        this.writeHeader = false;
      }
    } else {
      await writeFile(this.filename, '');
    }
  }

  override async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    const keys = (this.keys ??= Object.keys(logs).sort());
    let text = '';
    if (this.writeHeader) {
      text += ['epoch', ...keys].join(this.separator) + '\n';
      this.writeHeader = false;
    }
    // Keras writes 0-based epoch numbers here; keys missing from this epoch read `NA`.
    text += [String(epoch), ...keys.map((key) => csvValue(logs[key]))].join(this.separator) + '\n';
    await appendFile(this.filename, text);
  }
}
