// destroy() releases the device and the process exits promptly (dawn.node otherwise keeps
// polling and the process hangs). Runs the compiled library in a child process.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const built = existsSync(`${root}/dist/src/node/device.js`);

describe.skipIf(!gpu || !built)('shutdown (compiled library, after npm run build)', () => {
  it('a script that computes and destroys its device exits by itself, quickly', () => {
    const script = `
      import { initDevice } from './dist/src/node/device.js';
      import { matmul, rand } from './dist/src/tensor/index.js';
      const d = await initDevice();
      const x = rand([64, 64], { seed: 1 });
      console.log((await matmul(x, x).data()).length);
      d.destroy();`;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('4096');
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('no adapter: the error says how to get one', () => {
    const script = `
      import { Device } from './dist/src/tensor/device.js';
      const fakeGpu = { requestAdapter: async () => null };
      try { await Device.create(fakeGpu); } catch (e) { console.log(e.message); }`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toMatch(/No WebGPU adapter was found/);
    expect(r.stdout).toMatch(/lavapipe/);
    expect(r.stdout).toMatch(/install-lavapipe\.sh/);
  });
});
