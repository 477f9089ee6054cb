// SPDX-License-Identifier: MIT
// Learning rate per optimizer step: linear warm-up from ~0 to the peak over `warmupSteps`, then
// cosine decay from the peak to `minLr` at `totalSteps` (timm's / "bag of tricks" schedule):
//   step < warmup:  lr = peak · (step + 1) / warmup
//   else:           lr = minLr + (peak − minLr) · (1 + cos(π · (step − warmup) / (total − warmup))) / 2
// `step` counts from 0 (the first update); past `totalSteps` the rate stays at minLr.

export interface WarmupCosineOptions {
  /** The rate at the end of the warm-up. */
  peakLr: number;
  /** Steps of linear warm-up (0: start at the peak). */
  warmupSteps: number;
  /** Steps in all: warm-up plus decay. */
  totalSteps: number;
  /** The rate at the end. Default 0. */
  minLr?: number;
}

export function checkWarmupCosine(o: WarmupCosineOptions): void {
  if (!(o.peakLr > 0)) throw new Error(`warmupCosine: peakLr must be > 0, got ${o.peakLr}`);
  if (!(Number.isInteger(o.warmupSteps) && o.warmupSteps >= 0)) throw new Error(`warmupCosine: warmupSteps must be a whole number >= 0, got ${o.warmupSteps}`);
  if (!(Number.isInteger(o.totalSteps) && o.totalSteps > o.warmupSteps)) {
    throw new Error(`warmupCosine: totalSteps (${o.totalSteps}) must be a whole number above warmupSteps (${o.warmupSteps})`);
  }
  const minLr = o.minLr ?? 0;
  if (!(minLr >= 0 && minLr <= o.peakLr)) throw new Error(`warmupCosine: minLr must be in [0, peakLr], got ${minLr}`);
}

/** The learning rate of update number `step` (0-based). */
export function warmupCosineLr(step: number, o: WarmupCosineOptions): number {
  const minLr = o.minLr ?? 0;
  if (step < o.warmupSteps) return (o.peakLr * (step + 1)) / o.warmupSteps;
  const t = Math.min(1, (step - o.warmupSteps) / (o.totalSteps - o.warmupSteps));
  return minLr + ((o.peakLr - minLr) * (1 + Math.cos(Math.PI * t))) / 2;
}
