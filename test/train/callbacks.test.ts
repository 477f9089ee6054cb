import { describe, expect, it } from 'vitest';

import {
  Callback,
  CallbackList,
  EarlyStopping,
  formatFilepath,
  LambdaCallback,
  type Logs,
  ModelCheckpoint,
  ReduceLROnPlateau,
  resolveMetric,
  TerminateOnNaN,
  type TrainerHandle,
} from '../../src/train/callbacks.js';

// A TrainerHandle that records what callbacks ask of it, for driving callbacks without a GPU.
class FakeTrainer implements TrainerHandle {
  stopTraining = false;
  lr: number;
  lines: string[] = [];
  saved: { path: string; epoch: number; logs: Logs }[] = [];
  /** The "weights" are just the epoch number at which they were snapshotted. */
  weights = -1;
  restored: unknown[] = [];

  constructor(lr = 0.01) {
    this.lr = lr;
  }

  getLearningRate(): number {
    return this.lr;
  }
  setLearningRate(lr: number): void {
    this.lr = lr;
  }
  async saveCheckpoint(path: string, info: { epoch: number; logs: Logs }): Promise<void> {
    this.saved.push({ path, ...info });
  }
  async snapshotWeights(): Promise<unknown> {
    return this.weights;
  }
  async restoreWeights(snapshot: unknown): Promise<void> {
    this.restored.push(snapshot);
    this.weights = snapshot as number;
  }
  log(line: string): void {
    this.lines.push(line);
  }
}

/**
 * Plays a scripted metric sequence through `callback` the way fit() would, one epoch per entry,
 * stopping when the callback sets stopTraining. Returns the trainer to inspect.
 */
async function play(callback: Callback, name: string, values: number[], trainer = new FakeTrainer()) {
  callback.setTrainer(trainer);
  await callback.onTrainBegin({});
  let epochsRun = 0;
  for (const [epoch, value] of values.entries()) {
    trainer.weights = epoch;
    await callback.onEpochEnd(epoch, { loss: 1, [name]: value });
    epochsRun += 1;
    if (trainer.stopTraining) break;
  }
  await callback.onTrainEnd({});
  return { trainer, epochsRun };
}

describe('resolveMetric', () => {
  const logs = { loss: 0.5, accuracy: 0.8, val_loss: 0.6, val_accuracy: 0.7 };

  it('finds names and their aliases in both directions', () => {
    expect(resolveMetric(logs, 'val_accuracy')).toBe(0.7);
    expect(resolveMetric(logs, 'val_acc')).toBe(0.7);
    expect(resolveMetric(logs, 'acc')).toBe(0.8);
    expect(resolveMetric({ acc: 0.3 }, 'accuracy')).toBe(0.3);
    expect(resolveMetric({ val_acc: 0.4 }, 'val_accuracy')).toBe(0.4);
  });

  it('names the available metrics when one is missing', () => {
    expect(() => resolveMetric(logs, 'val_acuracy', 'EarlyStopping')).toThrow(
      "EarlyStopping: monitor 'val_acuracy' not found; available: loss, accuracy, val_loss, val_accuracy",
    );
  });
});

describe('EarlyStopping', () => {
  it('stops after `patience` epochs without improvement (min mode for losses)', async () => {
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 2, verbose: 1 });
    const { trainer, epochsRun } = await play(es, 'val_loss', [1.0, 0.8, 0.9, 0.85, 0.7]);
    expect(epochsRun).toBe(4);
    expect(es.stoppedEpoch).toBe(3);
    expect(es.best).toBe(0.8);
    expect(trainer.lines).toEqual(['Epoch 4: early stopping']);
    expect(trainer.restored).toEqual([]);
  });

  it('treats accuracy as max mode in auto and accepts the val_acc alias', async () => {
    const es = new EarlyStopping({ monitor: 'val_acc', patience: 1 });
    const { epochsRun } = await play(es, 'val_accuracy', [0.5, 0.6, 0.55]);
    expect(epochsRun).toBe(3);
    expect(es.best).toBe(0.6);
    expect(es.stoppedEpoch).toBe(2);
  });

  it('honours an explicit mode', async () => {
    const es = new EarlyStopping({ monitor: 'val_loss', mode: 'max', patience: 0 });
    const { epochsRun } = await play(es, 'val_loss', [1, 2, 1.5]);
    expect(epochsRun).toBe(3);
  });

  it('ignores changes smaller than minDelta', async () => {
    const es = new EarlyStopping({ monitor: 'val_loss', minDelta: 0.1, patience: 2 });
    const { epochsRun } = await play(es, 'val_loss', [1.0, 0.95, 0.91, 0.5]);
    expect(epochsRun).toBe(3);
    expect(es.best).toBe(1.0);
  });

  it('with patience 0 stops at the first epoch without improvement', async () => {
    const es = new EarlyStopping({ patience: 0 });
    const { epochsRun } = await play(es, 'val_loss', [1.0, 0.9, 0.9, 0.1]);
    expect(epochsRun).toBe(3);
  });

  it('keeps counting until the baseline is beaten', async () => {
    const es = new EarlyStopping({ monitor: 'val_accuracy', baseline: 0.6, patience: 3 });
    // Improvements below the baseline do not restart the count: stops at the first plateau.
    const { epochsRun } = await play(es, 'val_accuracy', [0.3, 0.4, 0.35, 0.5, 0.9]);
    expect(epochsRun).toBe(3);
    expect(es.best).toBe(0.4);
  });

  it('resets the count once the baseline is beaten', async () => {
    const es = new EarlyStopping({ monitor: 'val_accuracy', baseline: 0.6, patience: 2 });
    const { epochsRun } = await play(es, 'val_accuracy', [0.5, 0.7, 0.65, 0.68, 0.69]);
    expect(epochsRun).toBe(4);
  });

  it('restores the best weights when stopping early', async () => {
    const es = new EarlyStopping({ patience: 2, restoreBestWeights: true, verbose: 1 });
    const { trainer } = await play(es, 'val_loss', [1.0, 0.5, 0.7, 0.6, 0.4]);
    expect(trainer.restored).toEqual([1]);
    expect(trainer.lines).toEqual([
      'Epoch 4: early stopping',
      'Restoring model weights from the end of the best epoch: 2.',
    ]);
  });

  it('also restores the best weights when the epochs simply run out', async () => {
    const es = new EarlyStopping({ patience: 10, restoreBestWeights: true, verbose: 1 });
    const { trainer, epochsRun } = await play(es, 'val_loss', [1.0, 0.3, 0.5, 0.6]);
    expect(epochsRun).toBe(4);
    expect(trainer.restored).toEqual([1]);
    expect(trainer.lines).toEqual(['Restoring model weights from the end of the best epoch: 2.']);
  });

  it('restores the first epoch when nothing ever improves (NaN losses)', async () => {
    const es = new EarlyStopping({ patience: 1, restoreBestWeights: true });
    const { trainer, epochsRun } = await play(es, 'val_loss', [NaN, NaN, NaN]);
    expect(epochsRun).toBe(2);
    expect(trainer.restored).toEqual([0]);
  });

  it('waits for startFromEpoch before watching', async () => {
    const es = new EarlyStopping({ patience: 0, startFromEpoch: 2 });
    const { epochsRun } = await play(es, 'val_loss', [1, 2, 3, 4, 5]);
    expect(epochsRun).toBe(4);
  });

  it('can be reused across fit() calls', async () => {
    const es = new EarlyStopping({ patience: 0 });
    await play(es, 'val_loss', [1, 2]);
    const { epochsRun } = await play(es, 'val_loss', [5, 4, 3]);
    expect(epochsRun).toBe(3);
    expect(es.stoppedEpoch).toBe(0);
  });

  it('throws on a misspelt monitor', async () => {
    const es = new EarlyStopping({ monitor: 'val_acuracy' });
    es.setTrainer(new FakeTrainer());
    es.onTrainBegin();
    await expect(es.onEpochEnd(0, { loss: 1, accuracy: 0.5, val_loss: 1, val_accuracy: 0.5 })).rejects.toThrow(
      "EarlyStopping: monitor 'val_acuracy' not found; available: loss, accuracy, val_loss, val_accuracy",
    );
  });
});

describe('ModelCheckpoint', () => {
  it('fills filename templates like Python str.format', () => {
    const logs = { loss: 0.123456, val_accuracy: 0.55625, val_loss: 1e-5 };
    expect(formatFilepath('ckpt-{epoch}.st', 2, logs)).toBe('ckpt-3.st');
    expect(formatFilepath('ckpt-{epoch:02d}.st', 2, logs)).toBe('ckpt-03.st');
    expect(formatFilepath('e{epoch:03d}-{val_accuracy:.4f}.st', 11, logs)).toBe('e012-0.5563.st');
    expect(formatFilepath('{val_acc:.2f}', 0, logs)).toBe('0.56');
    expect(formatFilepath('{loss}_{val_loss}', 0, logs)).toBe('0.123456_1e-05');
    expect(formatFilepath('{val_loss:.2e}', 0, logs)).toBe('1.00e-05');
    expect(formatFilepath('{{epoch}}-{epoch:5d}', 0, logs)).toBe('{epoch}-    1');
    expect(() => formatFilepath('{val_los:.4f}', 0, logs)).toThrow(
      "ModelCheckpoint: filepath '{val_los:.4f}' uses '{val_los}'; known names: epoch, loss, val_accuracy, val_loss",
    );
    expect(() => formatFilepath('{loss:x}', 0, logs)).toThrow("unsupported format spec ':x'");
  });

  it('saves every epoch when saveBestOnly is false', async () => {
    const trainer = new FakeTrainer();
    const cp = new ModelCheckpoint({ filepath: 'runs/ckpt-{epoch:02d}.safetensors' });
    cp.setTrainer(trainer);
    await cp.onEpochEnd(0, { loss: 1 });
    await cp.onEpochEnd(1, { loss: 2 });
    expect(trainer.saved.map((s) => s.path)).toEqual(['runs/ckpt-01.safetensors', 'runs/ckpt-02.safetensors']);
    expect(trainer.lines).toEqual([
      'Epoch 1: saving model to runs/ckpt-01.safetensors',
      'Epoch 2: saving model to runs/ckpt-02.safetensors',
    ]);
  });

  it('saves only improvements and prints Keras lines', async () => {
    const trainer = new FakeTrainer();
    const cp = new ModelCheckpoint({ filepath: 'runs/best.safetensors', monitor: 'val_accuracy', saveBestOnly: true });
    cp.setTrainer(trainer);
    // 0.515625 = 33/64 is a binary tie: Python rounds it half-to-even to 0.51562.
    for (const [epoch, acc] of [0.5, 0.515625, 0.55625, 0.55].entries()) {
      await cp.onEpochEnd(epoch, { val_loss: 1, val_accuracy: acc });
    }
    expect(trainer.saved.map((s) => s.epoch)).toEqual([0, 1, 2]);
    expect(trainer.lines).toEqual([
      'Epoch 1: val_accuracy improved from -inf to 0.50000, saving model to runs/best.safetensors',
      'Epoch 2: val_accuracy improved from 0.50000 to 0.51562, saving model to runs/best.safetensors',
      'Epoch 3: val_accuracy improved from 0.51562 to 0.55625, saving model to runs/best.safetensors',
      'Epoch 4: val_accuracy did not improve from 0.55625',
    ]);
  });

  it('minimises losses from inf and stays quiet with verbose 0', async () => {
    const trainer = new FakeTrainer();
    const cp = new ModelCheckpoint({ filepath: 'b', saveBestOnly: true, verbose: 0 });
    cp.setTrainer(trainer);
    await cp.onEpochEnd(0, { val_loss: 0.9 });
    await cp.onEpochEnd(1, { val_loss: 1.2 });
    await cp.onEpochEnd(2, { val_loss: 0.7 });
    expect(trainer.saved.map((s) => s.epoch)).toEqual([0, 2]);
    expect(trainer.lines).toEqual([]);

    const verbose = new FakeTrainer();
    const loud = new ModelCheckpoint({ filepath: 'b', saveBestOnly: true });
    loud.setTrainer(verbose);
    await loud.onEpochEnd(0, { val_loss: 0.9 });
    expect(verbose.lines).toEqual(['Epoch 1: val_loss improved from inf to 0.90000, saving model to b']);
  });

  it('throws on a missing monitor when saving the best only', async () => {
    const cp = new ModelCheckpoint({ filepath: 'b', saveBestOnly: true });
    cp.setTrainer(new FakeTrainer());
    await expect(cp.onEpochEnd(0, { loss: 1 })).rejects.toThrow(
      "ModelCheckpoint: monitor 'val_loss' not found; available: loss",
    );
  });
});

describe('ReduceLROnPlateau', () => {
  it('reduces after patience, respects cooldown and minLr, records lr', async () => {
    const trainer = new FakeTrainer(0.1);
    const rl = new ReduceLROnPlateau({ patience: 2, factor: 0.5, cooldown: 2, minLr: 0.02, verbose: 1 });
    rl.setTrainer(trainer);
    rl.onTrainBegin();
    const lrs: number[] = [];
    const recorded: number[] = [];
    for (const [epoch, loss] of [1, 1, 1, 1, 1, 1, 1, 1, 1].entries()) {
      const logs: Logs = { val_loss: loss };
      rl.onEpochEnd(epoch, logs);
      recorded.push(logs['lr']!);
      lrs.push(trainer.lr);
    }
    // Epoch 0 improves on inf; 1, 2 wait → reduce at 2; the cooldown counter is decremented
    // before the check (as Keras), so 3 is skipped and 4, 5 wait → reduce at 5, then clamp to minLr.
    expect(lrs).toEqual([0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02]);
    expect(recorded).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025]);
    expect(trainer.lines).toEqual([
      'Epoch 3: ReduceLROnPlateau reducing learning rate to 0.05.',
      'Epoch 6: ReduceLROnPlateau reducing learning rate to 0.025.',
      'Epoch 9: ReduceLROnPlateau reducing learning rate to 0.02.',
    ]);
  });

  it('counts improvements smaller than minDelta as plateaus', () => {
    const trainer = new FakeTrainer(1e-4);
    const rl = new ReduceLROnPlateau({ monitor: 'val_acc', patience: 1, minDelta: 0.01, verbose: 1 });
    rl.setTrainer(trainer);
    rl.onTrainBegin();
    rl.onEpochEnd(0, { val_accuracy: 0.5 });
    rl.onEpochEnd(1, { val_accuracy: 0.505 });
    expect(trainer.lr).toBeCloseTo(1e-5, 12);
    expect(trainer.lines).toEqual(['Epoch 2: ReduceLROnPlateau reducing learning rate to 1e-05.']);
  });

  it('rejects a factor that would not reduce', () => {
    expect(() => new ReduceLROnPlateau({ factor: 1 })).toThrow('factor must be < 1');
  });
});

describe('TerminateOnNaN', () => {
  it('stops on NaN or infinite batch losses only', () => {
    const trainer = new FakeTrainer();
    const t = new TerminateOnNaN();
    t.setTrainer(trainer);
    t.onBatchEnd(11, { loss: 0.7 });
    expect(trainer.stopTraining).toBe(false);
    t.onBatchEnd(12, { loss: NaN });
    expect(trainer.stopTraining).toBe(true);
    expect(trainer.lines).toEqual(['Batch 12: Invalid loss, terminating training']);

    const other = new FakeTrainer();
    t.setTrainer(other);
    t.onBatchEnd(3, { loss: Infinity });
    expect(other.stopTraining).toBe(true);
  });
});

describe('CallbackList and LambdaCallback', () => {
  it('calls callbacks in order and awaits each one', async () => {
    const events: string[] = [];
    const slow = new LambdaCallback({
      onEpochEnd: async (epoch) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        events.push(`slow ${epoch}`);
      },
    });
    const fast = new LambdaCallback({
      onTrainBegin: () => void events.push('begin'),
      onEpochEnd: (epoch, logs) => void events.push(`fast ${epoch} ${logs['loss']}`),
      onBatchEnd: (batch) => void events.push(`batch ${batch}`),
    });
    const list = new CallbackList([slow]);
    list.add(fast);
    const trainer = new FakeTrainer();
    list.setTrainer(trainer);
    expect(fast.trainer).toBe(trainer);
    await list.onTrainBegin();
    await list.onBatchBegin(0);
    await list.onBatchEnd(0, { loss: 1 });
    await list.onEpochBegin(0);
    await list.onEpochEnd(0, { loss: 2 });
    await list.onTrainEnd();
    expect(events).toEqual(['begin', 'batch 0', 'slow 0', 'fast 0 2']);
  });
});
