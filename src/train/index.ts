// SPDX-License-Identifier: MIT
// Keras-style training UX: callbacks, progress output, history. Browser-safe.

export * from './callbacks.js';
export * from './history.js';
export * from './progress.js';
