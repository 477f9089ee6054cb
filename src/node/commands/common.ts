// SPDX-License-Identifier: MIT
// What every command shares: where it writes (CliIO), the usage error (exit status 2), the
// argument parsers, the presets, and the device (with the autotune cache) started on first use.

import { autotuneDisabled, defaultTuneCachePath, loadTuneCache } from '../autotune-cache.js';
import { initDevice } from '../device.js';
import { formatFixed } from '../../train/progress.js';
import type { Device } from '../../tensor/index.js';

/** Where the CLI writes. `main()` defaults to the process's streams. */
export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
}

/** What a command gets besides its arguments: where to write, and whether to use the autotune cache. */
export interface CommandContext {
  io: CliIO;
  /** false with --no-autotune. */
  autotune: boolean;
}

/** One command of the table in cli.ts: parses its own arguments, returns the exit status. */
export type Command = (args: string[], ctx: CommandContext) => Promise<number>;

/** Bad arguments or inputs: printed with the usage hint, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const PRESETS = ['paper', 'keras-bn', 'torchvision'] as const;
export type Preset = (typeof PRESETS)[number];

/** The input size each preset is usually trained at. */
export const DEFAULT_INPUT_SIZE: Record<Preset, number> = { paper: 227, 'keras-bn': 227, torchvision: 224 };

/**
 * The smallest square input each preset takes: below it a max-pool window is larger than its
 * input (paper and keras-bn: no adaptive pooling; torchvision: pool5 before the adaptive one).
 */
export const MIN_INPUT_SIZE: Record<Preset, number> = { paper: 67, 'keras-bn': 67, torchvision: 63 };

/** `--input-size N` for `preset`: at least the preset's smallest size, checked before any work. */
export function parseInputSize(value: string | undefined, preset: Preset, fallback?: number): number {
  const n = parseInteger('input-size', value, 1, fallback);
  if (n < MIN_INPUT_SIZE[preset]) throw new UsageError(`--input-size ${n} is too small for the '${preset}' preset: its smallest input is ${MIN_INPUT_SIZE[preset]}`);
  return n;
}

export type OptimizerName = 'sgd' | 'adam' | 'adamw';

export function parseInteger(name: string, value: string | undefined, min: number, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}, got '${value}'`);
  }
  return n;
}

export function parseNumber(name: string, value: string | undefined, check: (x: number) => boolean, what: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${what}, got '${value}'`);
  return n;
}

export function parsePreset(value: string | undefined, fallback: Preset): Preset {
  if (value === undefined) return fallback;
  if (!(PRESETS as readonly string[]).includes(value)) {
    throw new UsageError(`--model must be one of ${PRESETS.join(', ')}, got '${value}'`);
  }
  return value as Preset;
}

export function parseOptimizer(value: string | undefined): OptimizerName {
  if (value === undefined) return 'sgd';
  if (value !== 'sgd' && value !== 'adam' && value !== 'adamw') throw new UsageError(`--optimizer must be sgd, adam or adamw, got '${value}'`);
  return value;
}

export function parseVerbose(value: string | undefined): 0 | 1 | 2 {
  const v = parseInteger('verbose', value, 0, 1);
  if (v > 2) throw new UsageError(`--verbose must be 0, 1 or 2, got '${value}'`);
  return v as 0 | 1 | 2;
}

/** `--width F`: a channel-width multiplier, undefined when not given. */
export function parseWidth(value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseNumber('width', value, (x) => x > 0 && x <= 4, 'a multiplier in (0, 4]');
}

export function seconds(ms: number): string {
  return `${formatFixed(ms / 1000, 1)} s`;
}

/**
 * The device; on first use also the autotune cache for it, unless `autotune` is false
 * (--no-autotune) or WEBGPU_ALEXNET_AUTOTUNE=0 (a broken cache file is reported and ignored).
 */
export async function ensureDevice(ctx: { io?: CliIO; autotune?: boolean } = {}): Promise<Device> {
  const { hasDevice, getDevice, setTuneCache } = await import('../../tensor/index.js');
  if (hasDevice()) return getDevice();
  const device = await initDevice();
  setTuneCache(null);
  if ((ctx.autotune ?? true) && !autotuneDisabled()) {
    const path = defaultTuneCachePath();
    try {
      const n = loadTuneCache(path, device.describe());
      if (n) ctx.io?.stderr(`autotune: ${n} measured kernel choices for this adapter from ${path} (--no-autotune to skip)\n`);
    } catch (e) {
      ctx.io?.stderr(`alexnet: warning: ignoring the autotune cache: ${(e as Error).message}\n`);
    }
  }
  return device;
}
