// SPDX-License-Identifier: MIT
// Reading a file that must be a regular file. A FIFO named `x.jpg` blocks `readFileSync` forever
// and a device never ends; so the path is opened without blocking (O_NONBLOCK: opening a FIFO
// returns at once, and it has no effect on a regular file), checked with fstat on the open
// descriptor (no race between the check and the read), and only a regular file is read.

import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { quotePath } from './quote.js';

/** A path that exists but is not a regular file (a FIFO, a socket, a device, a folder). */
export class NotRegularFileError extends Error {
  constructor(
    readonly path: string,
    readonly kind: string,
  ) {
    super(`${quotePath(path)}: not a regular file (${kind}); not read`);
    this.name = 'NotRegularFileError';
  }
}

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** What a non-regular file is, in words. */
export function fileKind(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** Why `path` cannot be read as a regular file (following symbolic links), or null when it can. Never opens it. */
export function notRegularFile(path: string): string | null {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
  }
  return st.isFile() ? null : `not a regular file (${fileKind(st)})`;
}

function openError(path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  // a Unix socket cannot be opened at all
  if (code === 'ENXIO' || code === 'EOPNOTSUPP') return new NotRegularFileError(path, 'a socket or device');
  return err as Error;
}

/** The bytes of `path`; throws NotRegularFileError for anything but a regular file, without blocking. */
export function readRegularFileSync(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (err) {
    throw openError(path, err);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new NotRegularFileError(path, fileKind(st));
    const buf = Buffer.allocUnsafe(st.size);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, n);
      if (got === 0) break; // the file shrank while being read
      n += got;
    }
    return n === buf.length ? buf : buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The async form of readRegularFileSync. */
export async function readRegularFile(path: string): Promise<Buffer> {
  let fh;
  try {
    fh = await open(path, OPEN_FLAGS);
  } catch (err) {
    throw openError(path, err);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new NotRegularFileError(path, fileKind(st));
    const buf = Buffer.allocUnsafe(st.size);
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    return n === buf.length ? buf : buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}
