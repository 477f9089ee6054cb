// Shared test set-up: one device per test file, poisoned outputs, validation errors checked.
import { afterAll } from 'vitest';
import { initDevice } from '../../src/node/device.js';
import { setPoison, type Device } from '../../src/tensor/index.js';

/**
 * The device for this file, or null when there is no adapter (tests then skip). Under CI
 * (CI=true) a missing adapter is an error: CI installs lavapipe, so it must be there.
 */
export async function setupGpu(): Promise<Device | null> {
  let device: Device | null = null;
  try {
    device = await initDevice();
  } catch (e) {
    if (process.env.CI) throw e;
    console.warn(`GPU tests skipped: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
  setPoison(true);
  afterAll(() => {
    const errors = device!.takeErrors();
    device!.destroy();
    if (errors.length) throw new Error(`WebGPU validation errors:\n${errors.join('\n')}`);
  });
  return device;
}

export const gpu = await setupGpu();
