// Whether this machine has a WebGPU adapter, for test files whose code under test starts and
// destroys its own device (the CLI's commands): probed once, the probe's device destroyed at
// once. Under CI (CI=true) a missing adapter is an error: CI installs lavapipe, so it must be
// there; elsewhere the tests that need it skip.
import { destroyDevice, initDevice } from '../../src/node/device.js';

export async function probeAdapter(): Promise<boolean> {
  try {
    await initDevice();
    return true;
  } catch (e) {
    if (process.env.CI) throw e;
    return false;
  } finally {
    destroyDevice();
  }
}

export const hasGpu = await probeAdapter();
