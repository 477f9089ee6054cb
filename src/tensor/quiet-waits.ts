// SPDX-License-Identifier: MIT
// Quiet waits: sleep on a timer before waiting for the GPU, on a CPU driver.
//
// While a map or a done-callback is pending, dawn.node polls for it from Node's main thread
// without pause, and on lavapipe that thread takes a core from the driver's own threads,
// which are doing the work being waited for. So the device remembers how long a wait took,
// from the moment it was asked for (everything it waits on is submitted by then) to its
// answer, keyed by a hash of the dispatches recorded since the previous wait (kernel and
// workgroup counts: a training step or a forward pass repeats exactly), and the next time
// sleeps through most of it on a plain timer, with no async Dawn operation pending, before
// asking. The device turns this on for CPU adapters only (a GPU's waits are short);
// `device.quietWaits` switches it.
//
// The clock starts at the wait, not at the first submit of the work: a pass whose batches
// are prepared on the CPU between submits (decoded the first epoch, cached later) takes very
// different times from its first submit, but leaves about the same GPU work behind it when
// it asks. Timed from the first submit, a validation pass whose first epoch decoded photos
// had the next epochs sleep ~8 s after the GPU had finished.
//
// Nudged waits (`nudge`, set for Firefox by src/web/device.ts): Firefox answers maps and
// done-callbacks only when its GPU process polls the device, on a 100 ms timer, or when the
// page submits work; so while such a wait is pending an empty submit goes out every 2 ms
// (a trivial readback: ~100 ms before, 2-3 ms with it).

/**
 * The part of the expected wait that is slept through first. On lavapipe's AlexNet step
 * 0.75, 0.85 and 0.95 measured the same (2645, 2612, 2650 ms).
 */
const QUIET_FRACTION = 0.85;
/** a wait answered within this many ms of asking, after a sleep, means the sleep was too long */
const OVERSLEPT_MS = 2;
/** estimates kept before the table is cleared (a program repeats a handful of jobs) */
const MAX_ESTIMATES = 256;
/** how often a nudged wait submits nothing, in ms */
const NUDGE_MS = 2;

/** One step of an FNV-style hash (the key of the estimates). */
const mix = (h: number, v: number) => Math.imul(h ^ v, 16777619) >>> 0;

export class QuietWaits {
  /** sleep before waits (the device sets it for CPU adapters) */
  enabled: boolean;
  /** while a wait is pending, call this every NUDGE_MS (an empty submit), or null */
  nudge: (() => void) | null = null;
  /** how long the work keyed by its hash took, in ms */
  private estimates = new Map<number, number>();
  /** hash of the dispatches recorded since the last wait finished */
  private workSince = 0;

  constructor(enabled: boolean, private readonly stats: { sleptMs: number }) {
    this.enabled = enabled;
  }

  /** A dispatch was recorded: it becomes part of the key of the work in flight. */
  noteDispatch(pipelineId: number, x: number, y: number, z: number): void {
    this.workSince = mix(mix(mix(mix(this.workSince, pipelineId), x), y), z);
  }

  /** Runs `wait` (a map or a done-callback), after a sleep when the work is known. */
  async wait(wait: () => Promise<unknown>): Promise<void> {
    const key = this.workSince;
    const start = performance.now();
    const estimate = this.estimates.get(key);
    let slept = 0;
    if (this.enabled && estimate !== undefined) {
      const sleep = QUIET_FRACTION * estimate;
      if (sleep > 2) {
        await new Promise((r) => setTimeout(r, sleep));
        slept = sleep;
        this.stats.sleptMs += sleep;
      }
    }
    const asked = performance.now();
    const nudge = this.nudge;
    const timer = nudge ? setInterval(nudge, NUDGE_MS) : null;
    try {
      await wait();
    } finally {
      if (timer !== null) clearInterval(timer);
    }
    const end = performance.now();
    const took = end - start;
    // A wait that was answered at once after a sleep says only that the work took at most
    // `took`: the estimate was too long (it came from a first step with its one-off costs, or
    // a slow outlier). Averaging such a figure in would shrink the estimate by 7.5% a step
    // (lavapipe's AlexNet step took 13 steps to come down from 4.5 s to 1.6 s), so it is
    // halved instead; the next wait then sleeps short of the work and measures it.
    const overslept = slept > 0 && end - asked < OVERSLEPT_MS;
    this.estimates.set(key, estimate === undefined ? took : overslept ? 0.5 * Math.min(estimate, took) : 0.5 * estimate + 0.5 * took);
    if (this.estimates.size > MAX_ESTIMATES) this.estimates.clear();
    this.workSince = 0;
  }
}
