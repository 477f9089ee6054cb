// SPDX-License-Identifier: MIT
// The device's GPU errors: every `uncapturederror` event is handled here (without
// preventDefault() dawn.node prints each message to stdout: one oversized model printed 95,311
// lines), counted, and thrown once, as one exception quoting the first few messages.

/** How many GPU error messages an exception quotes (the count covers them all). */
const MAX_KEPT = 5;

export class GpuErrors {
  private messages: string[] = [];
  /** errors seen since the last take(), quoted or not */
  private count = 0;

  constructor(gpu: GPUDevice) {
    gpu.addEventListener('uncapturederror', (ev: Event) => {
      ev.preventDefault();
      this.count++;
      if (this.messages.length < MAX_KEPT) this.messages.push((ev as GPUUncapturedErrorEvent).error.message);
    });
  }

  /** The messages seen since the last call (the first few of them), and clears them. */
  take(): string[] {
    const m = this.messages;
    this.messages = [];
    this.count = 0;
    return m;
  }

  /** Throws the errors seen so far, once (and clears them). */
  throwIfAny(): void {
    if (this.count === 0) return;
    const n = this.count;
    const m = this.take();
    throw new Error(`WebGPU reported ${n} error(s)${n > m.length ? ` (the first ${m.length})` : ''}:\n` + m.join('\n'));
  }
}
