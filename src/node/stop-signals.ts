// SPDX-License-Identifier: MIT
// SIGINT, SIGTERM and SIGHUP: Ctrl-C, a supervisor's stop, `timeout -s INT`, a closed terminal.
// A command with work to finish cleanly (train: the current step, then stop with consistent
// checkpoints; serve: close its connections) listens while it runs and returns 128 + the
// signal's number, the status a shell reports for a process stopped by it. Every other command
// keeps Node's default: the signal ends it at once (the same status). The bin passes a signal
// sent to its own PID on to the command's process (driver-chatter.ts), so a Ctrl-C reaches it
// twice (once from the terminal, once from the bin): a repeat within REPEAT_MS is that same
// signal; a later one stops the process at once.

import { constants } from 'node:os';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** A repeat of a signal within this long is the same one delivered twice (terminal and bin). */
export const REPEAT_MS = 1000;

/** 128 + the signal's number: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP. */
export function signalStatus(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/** Thrown out of a run that a stop signal interrupted (train catches it; main() maps it to 128 + n). */
export class StoppedBySignal extends Error {
  override name = 'StoppedBySignal';
  constructor(readonly signal: StopSignal) {
    super(`stopped by ${signal}`);
  }
}

export interface StopListener {
  /** The first stop signal received, if any. */
  readonly signal: StopSignal | undefined;
  /** Stops listening (Node's default action returns). Safe to call twice. */
  dispose(): void;
}

/**
 * Listens for the stop signals until disposed: the first calls `onStop(signal)`; a repeat within
 * REPEAT_MS is ignored; a later one stops the process at once by the signal's default action.
 */
export function listenForStop(onStop: (signal: StopSignal) => void): StopListener {
  let first: { signal: StopSignal; at: number } | undefined;
  const handlers = STOP_SIGNALS.map((signal) => {
    const handler = () => {
      if (first === undefined) {
        first = { signal, at: Date.now() };
        onStop(signal);
      } else if (Date.now() - first.at > REPEAT_MS) {
        listener.dispose();
        process.kill(process.pid, signal); // the default action, now that no one listens
      }
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  let disposed = false;
  const listener: StopListener = {
    get signal() {
      return first?.signal;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
  };
  return listener;
}
