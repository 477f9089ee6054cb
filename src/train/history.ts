// SPDX-License-Identifier: MIT
// Keras' `History`: the per-epoch metrics that `fit()` returns. It is itself a callback, so
// `fit()` records it by adding it to the callback list.

import { Callback, type Logs } from './callbacks.js';
import { reprFloat } from './progress.js';

export interface HistoryJSON {
  epoch: number[];
  /** Non-finite values (missing, NaN, ±Infinity) become `null`, which JSON can hold. */
  history: Record<string, (number | null)[]>;
}

export class History extends Callback {
  /** 0-based epoch indices, as in Keras. */
  epoch: number[] = [];
  /** One array per metric, aligned with `epoch`. */
  history: Record<string, number[]> = {};

  override onEpochEnd(epoch: number, logs: Logs): void {
    this.record(epoch, logs);
  }

  /** Appends one epoch. Metrics missing from it, or first seen later, are padded with NaN. */
  record(epoch: number, logs: Logs): void {
    const previous = this.epoch.length;
    this.epoch.push(epoch);
    for (const [name, value] of Object.entries(logs)) {
      const values = (this.history[name] ??= new Array<number>(previous).fill(NaN));
      values.push(value);
    }
    for (const values of Object.values(this.history)) {
      if (values.length === previous) values.push(NaN);
    }
  }

  toJSON(): HistoryJSON {
    const history: Record<string, (number | null)[]> = {};
    for (const [name, values] of Object.entries(this.history)) {
      history[name] = values.map((v) => (Number.isFinite(v) ? v : null));
    }
    return { epoch: [...this.epoch], history };
  }

  static fromJSON(json: HistoryJSON): History {
    const result = new History();
    result.epoch = [...json.epoch];
    for (const [name, values] of Object.entries(json.history)) {
      result.history[name] = values.map((v) => v ?? NaN);
    }
    return result;
  }

  /** The same table `CSVLogger` writes: `epoch` then the metrics sorted by name; NaN as `NA`. */
  toCSV(separator = ','): string {
    const names = Object.keys(this.history).sort();
    const rows = [['epoch', ...names].join(separator)];
    this.epoch.forEach((epoch, i) => {
      const cells = names.map((name) => csvValue(this.history[name]![i]));
      rows.push([String(epoch), ...cells].join(separator));
    });
    return rows.join('\n') + '\n';
  }
}

/** A metric as Keras' CSVLogger writes it: Python `str(float)`, `NA` when missing. */
export function csvValue(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? 'NA' : reprFloat(value);
}
