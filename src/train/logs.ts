// SPDX-License-Identifier: MIT
// The one type the callbacks and the progress bar share (its own file, so neither imports
// the other for it).

/** Metric values of one batch or epoch: 'loss', 'accuracy', 'val_loss', 'val_accuracy', 'lr', ... */
export type Logs = Record<string, number>;
