// SPDX-License-Identifier: MIT
// Keras-style training: fit/evaluate/predict, callbacks, progress output, history, the
// step profiler. Browser-safe.

export * from './callbacks.js';
export * from './history.js';
export * from './progress.js';
export * from './model.js';
export * from './array-dataset.js';
export * from './compile.js';
export * from './fit.js';
export * from './evaluate.js';
export * from './snapshot.js';
export * from './profile-step.js';
export * from './methods.js';
export * from './autotune-step.js';
export * from './ema.js';
export * from './lr-schedule.js';
export * from './tta.js';
