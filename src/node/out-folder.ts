// SPDX-License-Identifier: MIT
// An output folder (`train --out`, `demo --out`): checked and created with errors that name the
// flag, the folder and the reason in words, and held by one run at a time (a lock file).
//
// The folder is created one missing level at a time rather than with mkdir's `recursive`:
// Node's recursive mkdir reports a read-only file system as ENOENT, and spins forever on a path
// under /proc.

import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './commands/common.js';
import { quotePath } from './quote.js';
import { fileKind } from './read-file.js';

/** An errno code in words, for messages that must not print raw `ENOENT: …, mkdir '…'`. */
export function errnoText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    EROFS: 'read-only file system',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    ENAMETOOLONG: 'name too long',
    ELOOP: 'too many levels of symbolic links',
    ENOENT: 'no such file or folder (the file system refuses it)',
    ENOTDIR: 'a part of the path is not a folder',
    EIO: 'input/output error',
    EMFILE: 'too many open files',
    EISDIR: 'it is a folder',
  };
  if (!code) return (err as Error).message;
  const message = (err as Error).message;
  // Node's own messages are `CODE: text, syscall 'path'`: the words replace them; any other is kept
  return `${words[code] ?? message.split(',')[0]} (${message.startsWith(code) ? code : `${code}: ${message}`})`;
}

/**
 * Makes `dir` and its missing parents. An empty path, or a path through a file, is a UsageError
 * (exit status 2); a folder the file system will not create (read-only, no permission, no
 * space) is an Error naming it (exit status 1: a file that could not be written).
 */
export function makeOutFolder(dir: string, flag = '--out'): void {
  if (dir === '') throw new UsageError(`${flag} '': an empty path; name a folder`);
  const missing: string[] = [];
  for (let p = resolve(dir); ; p = dirname(p)) {
    try {
      const st = statSync(p);
      if (!st.isDirectory()) {
        throw new UsageError(p === resolve(dir) ? `${flag} ${quotePath(dir)}: not a folder (${fileKind(st)})` : `${flag} ${quotePath(dir)}: ${quotePath(p)} is ${fileKind(st)}, not a folder`);
      }
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e instanceof UsageError ? e : new Error(`${flag} ${quotePath(dir)}: cannot use ${quotePath(p)}: ${errnoText(e)}`);
      missing.push(p);
      if (dirname(p) === p) break;
    }
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(m).isDirectory()) continue;
      throw new Error(`${flag} ${quotePath(dir)}: cannot create the folder ${quotePath(m)}: ${errnoText(e)}`);
    }
  }
}

/** The lock file of a run folder. */
export const LOCK_NAME = '.alexnet-run.lock';

/** Whether process `pid` still runs (this one does; EPERM: it runs under another user). */
export function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits (blocking, polling every 20 ms) up to `ms` for process `pid` to end. */
function waitForExit(pid: number, ms: number): void {
  const tick = new Int32Array(new SharedArrayBuffer(4));
  for (const end = Date.now() + ms; alive(pid) && Date.now() < end; ) Atomics.wait(tick, 0, 0, 20);
}

export interface RunLock {
  /** Removes the lock (only if it is still this process's). Safe to call twice. */
  release(): void;
  /** A lock left by a process that no longer runs, which this one replaced. */
  readonly replacedStale?: { pid: number };
}

/**
 * Locks the run folder `dir` for this process: `dir/.alexnet-run.lock` is created exclusively
 * with this process's id, host and start time. A lock held by a live process on this host is a
 * UsageError (exit status 2) naming the folder and that process; a lock whose process is gone
 * (a run killed with kill -9) is replaced.
 */
export function lockRunFolder(dir: string, flag = '--out', what = 'train'): RunLock {
  const path = join(dir, LOCK_NAME);
  // the bin runs the command in a child (driver-chatter.ts): its pid too, for a bin killed with -9
  const parent = process.env['WEBGPU_ALEXNET_RELAYED'] === '1' ? process.ppid : 0;
  const me = `${process.pid}\n${hostname()}\n${new Date().toISOString()}\nalexnet ${what}\n${parent}\n`;
  let replacedStale: { pid: number } | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, me);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`${flag} ${quotePath(dir)}: cannot create the lock file ${LOCK_NAME}: ${errnoText(e)}`);
    }
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      // removed meanwhile: try again
    }
    const [pidText, host, started, command, parentText] = text.split('\n');
    const pid = Number(pidText);
    const here = host === undefined || host === hostname();
    // a command whose bin was killed (kill -9) is dying too (it kills itself when the bin's pipe
    // closes): give it a moment
    const owner = Number(parentText);
    if (here && Number.isInteger(owner) && owner > 0 && !alive(owner)) waitForExit(pid, 5000);
    if (text !== '' && (!Number.isInteger(pid) || pid <= 0 || !here || alive(pid) || attempt >= 3)) {
      throw new UsageError(
        `${flag} ${quotePath(dir)}: in use by another run (${command || 'alexnet'}, process ${pidText}${here ? '' : ` on ${host}`}, started ${started ?? '?'}); ` +
          `wait for it to end, or pick another ${flag} (if no such run is going on, remove ${quotePath(path)})`,
      );
    }
    if (text !== '') {
      // the process is gone: move its lock aside (one of two racing runs wins the rename) and retry
      const aside = `${path}.stale-${process.pid}`;
      try {
        renameSync(path, aside);
        if (readFileSync(aside, 'utf8') === text) replacedStale = { pid };
        else linkSync(aside, path); // another run's fresh lock, moved by mistake: put it back
      } catch {
        // another run moved it first
      }
      rmSync(aside, { force: true });
    }
  }
  let released = false;
  return {
    replacedStale,
    release() {
      if (released) return;
      released = true;
      try {
        if (readFileSync(path, 'utf8') === me) rmSync(path, { force: true });
      } catch {
        // already gone
      }
    },
  };
}
