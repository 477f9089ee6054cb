// Issue 14 point 8: Dawn's known-harmless warnings (printed by native code at requestAdapter)
// never reach the output of the `alexnet` bin; everything else on stderr passes unchanged, the
// exit status and a killing signal come through, and the relayed child dies with the bin.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

import { chatterFilter, isDriverChatter, shouldRelay } from '../../src/node/driver-chatter.js';
import { listenForStop, REPEAT_MS, signalStatus } from '../../src/node/stop-signals.js';

const WARN_U = 'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';
const WARN_S = 'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';

describe('the chatter filter', () => {
  it('drops exactly the known lines, across chunk boundaries; keeps the rest byte for byte', () => {
    expect(isDriverChatter(WARN_U) && isDriverChatter(WARN_S)).toBe(true);
    expect(isDriverChatter('Warning: something else')).toBe(false);
    expect(isDriverChatter(`x ${WARN_U}`)).toBe(false);
    const text = `${WARN_U}\nalexnet train: --epochs must be an integer >= 1, got 'two'\n${WARN_S}\n\nlast line, no newline`;
    for (const cut of [1, 7, 50, 130, 200, text.length]) {
      const f = chatterFilter();
      let out = '';
      for (let i = 0; i < text.length; i += cut) out += f.push(text.slice(i, i + cut));
      out += f.end();
      expect(out).toBe(`alexnet train: --epochs must be an integer >= 1, got 'two'\n\nlast line, no newline`);
    }
  });

  it('relays unless already relayed or WEBGPU_ALEXNET_DRIVER_LOG=1', () => {
    expect(shouldRelay({})).toBe(true);
    expect(shouldRelay({ WEBGPU_ALEXNET_RELAYED: '1' })).toBe(false);
    expect(shouldRelay({ WEBGPU_ALEXNET_DRIVER_LOG: '1' })).toBe(false);
  });
});

describe('stop signals (issue 24)', () => {
  it('128 + the signal number; the first signal calls back once, a repeat within REPEAT_MS is the same one', () => {
    expect([signalStatus('SIGHUP'), signalStatus('SIGINT'), signalStatus('SIGTERM')]).toEqual([129, 130, 143]);
    const before = process.listenerCount('SIGTERM');
    const seen: string[] = [];
    const listener = listenForStop((s) => seen.push(s));
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGINT', 'SIGINT'); // within REPEAT_MS of the first: the same stop
    expect(seen).toEqual(['SIGTERM']);
    expect(listener.signal).toBe('SIGTERM');
    expect(REPEAT_MS).toBeGreaterThan(0);
    listener.dispose();
    listener.dispose();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});

// the compiled bin and relay (npm run build)
const bin = join(process.cwd(), 'dist/src/node/bin/alexnet.js');
const relay = join(process.cwd(), 'dist/src/node/driver-chatter.js');
const built = existsSync(bin) && existsSync(relay);

describe.skipIf(!built)('the compiled bin', () => {
  const root = mkdtempSync(join(tmpdir(), 'alexnet-chatter-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('summary prints the table and nothing else: no driver warning on stdout or stderr', () => {
    const r = spawnSync(process.execPath, [bin, 'summary', '--model', 'keras-bn', '--input-size', '67'], { encoding: 'utf8', env: { ...process.env, WEBGPU_ALEXNET_DRIVER_LOG: '' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Input: \[N, 3, 67, 67\]\n/);
    expect(r.stdout + r.stderr).not.toMatch(/artificially reduced/);
    expect(r.stderr).toBe('');
  });

  it('a usage error still prints its line and exits 2', () => {
    const r = spawnSync(process.execPath, [bin, 'summary', '--model', 'keras-bn', '--input-size', '30'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("alexnet summary: --input-size 30 is too small for the 'keras-bn' preset: its smallest input is 67\nRun 'alexnet help' for usage.\n");
  });

  // a stand-in command: prints the chatter and a line, then exits with a status, kills itself, or waits
  const script = join(root, 'stand-in.mjs');
  writeFileSync(script, [
    `import { dieWithParent, relayWithoutChatter, shouldRelay } from ${JSON.stringify(pathToFileURL(relay).href)};`,
    `import { writeFileSync } from 'node:fs';`,
    `if (shouldRelay()) relayWithoutChatter(process.argv[1]);`,
    `else {`,
    `  dieWithParent();`,
    `  process.stderr.write(${JSON.stringify(WARN_U + '\n' + WARN_S + '\n')} + 'kept\\n');`,
    `  process.stdout.write('out\\n');`,
    `  const what = process.argv[2];`,
    `  if (what === 'wait') { writeFileSync(process.argv[3], String(process.pid)); setInterval(() => {}, 1000); }`,
    `  else if (what === 'signal') process.kill(process.pid, 'SIGTERM');`,
    `  else process.exitCode = Number(what);`,
    `}`,
  ].join('\n'));

  it('the exit status and the killing signal of the child are the bin\'s', () => {
    const r = spawnSync(process.execPath, [script, '3'], { encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).toEqual([3, 'out\n', 'kept\n']);
    const s = spawnSync(process.execPath, [script, 'signal'], { encoding: 'utf8' });
    expect([s.signal, s.stdout, s.stderr]).toEqual(['SIGTERM', 'out\n', 'kept\n']);
  });

  for (const signal of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) {
    it(`${signal} sent to the bin alone reaches the command's process, which it ends as its default action`, { timeout: 40_000 }, async () => {
      const pidFile = join(root, `child-${signal}.pid`);
      const parent = spawn(process.execPath, [script, 'wait', pidFile], { stdio: 'ignore' });
      const deadline = Date.now() + 10_000;
      while (!existsSync(pidFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const exited = new Promise<string | null>((resolve) => {
        parent.on('exit', (_code, sig) => resolve(sig));
        setTimeout(() => resolve('still running 15 s later'), 15_000);
      });
      parent.kill(signal);
      try {
        expect(await exited).toBe(signal);
      } finally {
        if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
      }
    });
  }

  it('the child dies with the bin, kill -9 included', { timeout: 40_000 }, async () => {
    const pidFile = join(root, 'child.pid');
    const parent = spawn(process.execPath, [script, 'wait', pidFile], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!existsSync(pidFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const child = Number(readFileSync(pidFile, 'utf8'));
    expect(child).not.toBe(parent.pid);
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive(child)).toBe(true);
    parent.kill('SIGKILL');
    // its own deadline: on a loaded machine starting the two processes can take most of the first
    const died = Date.now() + 15_000;
    while (alive(child) && Date.now() < died) await new Promise((r) => setTimeout(r, 50));
    expect(alive(child)).toBe(false);
  });
});
