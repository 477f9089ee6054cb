// SPDX-License-Identifier: MIT
// Known-harmless driver chatter kept out of the command's output. Dawn prints two warnings from
// native code (fprintf to stderr) whenever an adapter is requested on lavapipe, before any
// limit is asked for:
//   Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.
//   Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.
// No option of `create()` or of the device request avoids them, and Node cannot redirect its
// own native stderr, so the `alexnet` bin runs the command in a child process whose stderr it
// relays without these lines. WEBGPU_ALEXNET_DRIVER_LOG=1 runs it in-process, chatter and all.

import { spawn } from 'node:child_process';
import { STOP_SIGNALS } from './stop-signals.js';

/** Lines of driver chatter dropped from stderr (everything else passes through unchanged). */
const CHATTER = [/^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/];

export function isDriverChatter(line: string): boolean {
  return CHATTER.some((re) => re.test(line));
}

/** Set in the child, so it runs the command instead of relaying again. */
const RELAYED = 'WEBGPU_ALEXNET_RELAYED';

/** Whether this process should relay a child instead of running the command itself. */
export function shouldRelay(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[RELAYED] !== '1' && env.WEBGPU_ALEXNET_DRIVER_LOG !== '1';
}

/** A line filter over chunks of text: `push` returns what to write now, `end` the rest. */
export function chatterFilter(): { push: (chunk: string) => string; end: () => string } {
  let partial = '';
  const keep = (lines: string[]) => lines.filter((l) => !isDriverChatter(l)).map((l) => l + '\n').join('');
  return {
    push(chunk) {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      return keep(lines);
    },
    end() {
      const rest = partial;
      partial = '';
      return rest === '' || isDriverChatter(rest) ? '' : rest;
    },
  };
}

/**
 * Runs `script` with this process's arguments in a child (stdin and stdout shared, stderr
 * relayed without driver chatter) and ends this process the way the child ended: its exit
 * status, or the signal that killed it. The child dies with this process (kill -9 included):
 * it watches the IPC channel, which closes when its parent goes.
 */
export function relayWithoutChatter(script: string): void {
  const child = spawn(process.execPath, [...process.execArgv, script, ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'pipe', 'ipc'],
    env: { ...process.env, [RELAYED]: '1' },
  });
  const filter = chatterFilter();
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    const out = filter.push(s);
    if (out) process.stderr.write(out);
  });
  // A stop signal sent to this process alone (kill PID, a supervisor, `timeout -s INT`) is passed
  // on, so that the command stops as it does on Ctrl-C. Ctrl-C and a closed terminal reach the
  // whole process group, so the child gets those twice: it takes a repeat within a second as the
  // same signal (stop-signals.ts).
  const handlers = STOP_SIGNALS.map((sig): [NodeJS.Signals, () => void] => [sig, () => void child.kill(sig)]);
  for (const [sig, h] of handlers) process.on(sig, h);
  let stderrDone = false;
  let ended: [number | null, NodeJS.Signals | null] | null = null;
  const finish = () => {
    if (!stderrDone || !ended) return;
    for (const [sig, h] of handlers) process.off(sig, h);
    const rest = filter.end();
    if (rest) process.stderr.write(rest);
    const [code, signal] = ended;
    if (signal) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  };
  child.stderr!.on('end', () => {
    stderrDone = true;
    finish();
  });
  child.on('exit', (code, signal) => {
    ended = [code, signal];
    finish();
  });
  child.on('error', (e) => {
    process.stderr.write(`alexnet: error: could not start the command: ${e.message}\n`);
    process.exitCode = 1;
  });
}

/** In the child: die with the parent (its IPC channel closes when it goes, even on kill -9). */
export function dieWithParent(): void {
  if (!process.channel) return;
  process.channel.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}
