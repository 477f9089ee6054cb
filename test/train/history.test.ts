import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { writeFileAtomic } from '../../src/node/atomic.js';
import { CSVLogger } from '../../src/node/csv-logger.js';
import type { TrainerHandle } from '../../src/train/callbacks.js';
import { History } from '../../src/train/history.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'train-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const epochs = [
  { loss: 0.7, accuracy: 0.5, val_loss: 0.69, val_accuracy: 0.51, lr: 0.001 },
  { loss: 0.6, accuracy: 0.625, val_loss: 0.65, val_accuracy: 0.55, lr: 1e-5 },
];

describe('History', () => {
  it('records epochs, pads metrics that come and go with NaN, and round-trips JSON', () => {
    const history = new History();
    history.onEpochEnd(0, { loss: 1 });
    history.onEpochEnd(1, { loss: 0.5, val_loss: 0.75 });
    history.onEpochEnd(2, { val_loss: 0.25 });
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(history.history).toEqual({ loss: [1, 0.5, NaN], val_loss: [NaN, 0.75, 0.25] });
    const json = JSON.parse(JSON.stringify(history));
    expect(json).toEqual({ epoch: [0, 1, 2], history: { loss: [1, 0.5, null], val_loss: [null, 0.75, 0.25] } });
    expect(History.fromJSON(json).history).toEqual(history.history);
  });

  it('writes the same CSV as CSVLogger', () => {
    const history = new History();
    epochs.forEach((logs, epoch) => history.record(epoch, logs));
    expect(history.toCSV()).toBe(
      'epoch,accuracy,loss,lr,val_accuracy,val_loss\n0,0.5,0.7,0.001,0.51,0.69\n1,0.625,0.6,1e-05,0.55,0.65\n',
    );
    expect(history.toCSV(';').split('\n')[0]).toBe('epoch;accuracy;loss;lr;val_accuracy;val_loss');
  });
});

describe('CSVLogger', () => {
  const trainer = { stopTraining: false } as TrainerHandle;

  async function run(logger: CSVLogger, rows: typeof epochs, first = 0): Promise<void> {
    logger.setTrainer(trainer);
    await logger.onTrainBegin();
    for (const [i, logs] of rows.entries()) await logger.onEpochEnd(first + i, logs);
    await logger.onTrainEnd();
  }

  it('writes a header and one row per epoch with Keras column order', async () => {
    const filename = join(dir, 'log.csv');
    await writeFile(filename, 'stale contents\n');
    await run(new CSVLogger({ filename }), epochs);
    expect(await readFile(filename, 'utf8')).toBe(
      'epoch,accuracy,loss,lr,val_accuracy,val_loss\n0,0.5,0.7,0.001,0.51,0.69\n1,0.625,0.6,1e-05,0.55,0.65\n',
    );
  });

  it('appends without repeating the header, with a custom separator and NA for missing values', async () => {
    const filename = join(dir, 'log.tsv');
    await run(new CSVLogger({ filename, separator: '\t', append: true }), epochs.slice(0, 1));
    const { lr: _dropped, ...withoutLr } = epochs[1]!;
    await run(new CSVLogger({ filename, separator: '\t', append: true }), [withoutLr as (typeof epochs)[0]], 1);
    expect(await readFile(filename, 'utf8')).toBe(
      'epoch\taccuracy\tloss\tlr\tval_accuracy\tval_loss\n0\t0.5\t0.7\t0.001\t0.51\t0.69\n' +
        '1\t0.625\t0.6\tNA\t0.55\t0.65\n',
    );
  });
});

describe('writeFileAtomic', () => {
  it('writes bytes, text and chunk streams', async () => {
    const path = join(dir, 'a.bin');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect([...(await readFile(path))]).toEqual([1, 2, 3]);
    await writeFileAtomic(path, 'héllo');
    expect(await readFile(path, 'utf8')).toBe('héllo');
    await writeFileAtomic(path, [new Uint8Array([4]), new Uint8Array([5, 6])]);
    expect([...(await readFile(path))]).toEqual([4, 5, 6]);
    expect(await readdir(dir)).toEqual(['a.bin']);
  });

  it('leaves the previous file intact and no temporary file when the data source fails mid-way', async () => {
    const path = join(dir, 'model.safetensors');
    await writeFileAtomic(path, 'previous version');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(1 << 20).fill(7); // a first megabyte reaches the temporary file
      throw new Error('tensor readback failed');
    }
    await expect(writeFileAtomic(path, failing())).rejects.toThrow(
      `writeFileAtomic: cannot write ${path}: tensor readback failed`,
    );
    expect(await readFile(path, 'utf8')).toBe('previous version');
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  it('names the file when the directory does not exist', async () => {
    const path = join(dir, 'missing', 'x.json');
    await expect(writeFileAtomic(path, '{}')).rejects.toThrow(`cannot write ${path}`);
  });
});
