// SPDX-License-Identifier: MIT
// The browser's WebGPU device: `navigator.gpu` -> the core's Device, or an error that says what
// to do in this browser (which flag or pref), so a page never shows a blank screen.
import { Device, NO_ADAPTER_HELP, setDevice } from '../tensor/device.js';

/** Thrown when the page cannot get a WebGPU device; `message` is meant for the user. */
export class WebGPUUnavailableError extends Error {
  constructor(
    message: string,
    /** 'no-api': navigator.gpu is missing; 'no-adapter': requestAdapter() gave null; 'insecure': not a secure context */
    readonly reason: 'no-api' | 'no-adapter' | 'insecure' | 'device',
  ) {
    super(message);
    this.name = 'WebGPUUnavailableError';
  }
}

export type BrowserName = 'chromium' | 'firefox' | 'safari' | 'other';

/** Which browser family a user agent string names (for the advice in the error). */
export function browserOf(userAgent: string): BrowserName {
  if (/Firefox\//.test(userAgent)) return 'firefox';
  if (/Chrom(e|ium)\//.test(userAgent) || /Edg\//.test(userAgent)) return 'chromium';
  if (/Safari\//.test(userAgent)) return 'safari';
  return 'other';
}

/** What to try in `browser` when WebGPU is missing (no API) or blocked (no adapter). */
export function webgpuAdvice(browser: BrowserName, reason: 'no-api' | 'no-adapter'): string {
  switch (browser) {
    case 'chromium':
      return reason === 'no-api'
        ? 'Chrome/Chromium 113 or newer has WebGPU; update the browser.'
        : 'Chromium offered no adapter: WebGPU may be blocked for this GPU or driver. ' +
            'Start it with --enable-unsafe-webgpu (Linux: also --enable-features=Vulkan), or check chrome://gpu.';
    case 'firefox':
      return reason === 'no-api'
        ? 'Firefox: open about:config and set dom.webgpu.enabled to true (Firefox 141+ on Windows has it on by default).'
        : 'Firefox offered no adapter: WebGPU is blocked for this GPU or driver. ' +
            'In about:config set gfx.webgpu.ignore-blocklist to true (and dom.webgpu.enabled to true).';
    case 'safari':
      return 'Safari: WebGPU is on by default from Safari 26; on older versions enable it under Develop > Feature Flags > WebGPU.';
    default:
      return 'Use a browser with WebGPU: Chrome/Edge 113+, Firefox with dom.webgpu.enabled, or Safari 26+.';
  }
}

export interface WebDeviceOptions {
  powerPreference?: GPUPowerPreference;
  /** Also make it the core's current device (setDevice). Default true. */
  setCurrent?: boolean;
}

/**
 * The core's Device from `navigator.gpu`. Throws WebGPUUnavailableError with advice for this
 * browser when WebGPU is missing, blocked, or the page is not a secure context (http://127.0.0.1
 * and https:// are; file:// and plain http to another host are not).
 */
export async function createWebDevice(opts: WebDeviceOptions = {}): Promise<Device> {
  const ua = typeof navigator === 'undefined' ? '' : navigator.userAgent;
  const browser = browserOf(ua);
  if (typeof isSecureContext !== 'undefined' && !isSecureContext) {
    throw new WebGPUUnavailableError(
      'WebGPU needs a secure context: open the page from https:// or http://127.0.0.1 (alexnet serve), not from file:// or another http host.',
      'insecure',
    );
  }
  const gpu = typeof navigator === 'undefined' ? undefined : (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) throw new WebGPUUnavailableError(`This browser has no WebGPU (navigator.gpu is missing). ${webgpuAdvice(browser, 'no-api')}`, 'no-api');
  let device: Device;
  try {
    device = await Device.create(gpu, { powerPreference: opts.powerPreference });
  } catch (e) {
    const msg = (e as Error).message;
    // Device.create's "no adapter" message is written for Node; say it for this browser instead
    if (msg === NO_ADAPTER_HELP) {
      throw new WebGPUUnavailableError(`WebGPU is present but gave no adapter. ${webgpuAdvice(browser, 'no-adapter')}`, 'no-adapter');
    }
    throw new WebGPUUnavailableError(`WebGPU could not create a device: ${msg}`, 'device');
  }
  // Firefox answers a readback only at its GPU process's next device poll (a 100 ms timer)
  // unless the page submits something: nudge its waits (src/tensor/quiet-waits.ts)
  if (browser === 'firefox') device.nudgedWaits = true;
  if (opts.setCurrent ?? true) setDevice(device);
  return device;
}
