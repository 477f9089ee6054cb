// `alexnet serve`'s static server: files under the folder, 404 outside it, loopback only; and,
// issue 24, a server that survives hostile requests: malformed URLs answer 400, symbolic links
// out of the folder are not followed, foreign Host headers are refused (DNS rebinding), files are
// streamed (memory does not grow with concurrent downloads), a stop signal stops it at once.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic, type StaticServer } from '../../src/node/serve.js';

/** Sends raw bytes on a new connection; the status code of the answer (0 when the connection closed without one). */
export function rawRequest(port: number, text: string, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer in ${timeoutMs} ms to ${JSON.stringify(text.slice(0, 80))}`));
    }, timeoutMs);
    socket.on('data', (d) => {
      got += d.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
      if (m) {
        clearTimeout(timer);
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(0);
    });
    socket.write(text, 'latin1');
  });
}

const root = mkdtempSync(join(tmpdir(), 'serve-'));
const dir = join(root, 'site');
const secret = join(root, 'secret.txt');
let s: StaticServer;
let port: number;
const get = (path: string, host = `127.0.0.1:${port}`) => rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

beforeAll(async () => {
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<p>hi</p>');
  writeFileSync(join(dir, 'app.js'), 'export {}');
  writeFileSync(join(dir, 'lib.mjs'), 'export {}');
  writeFileSync(join(dir, 'k.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  writeFileSync(join(dir, 'app.js.map'), '{}');
  writeFileSync(join(dir, 'sub', 'a.txt'), 'inside');
  writeFileSync(secret, 'outside the served folder');
  symlinkSync(secret, join(dir, 'leak.txt'));
  symlinkSync(root, join(dir, 'up'));
  symlinkSync(join(dir, 'sub', 'a.txt'), join(dir, 'alias.txt'));
  s = await serveStatic(dir, 0);
  port = Number(new URL(s.url).port);
});
afterAll(async () => {
  await s?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('serveStatic', () => {
  it('serves index.html and scripts with their types; nothing outside the folder', async () => {
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const index = await fetch(s.url);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expect(await index.text()).toBe('<p>hi</p>');
    const js = await fetch(s.url + 'app.js');
    expect(js.headers.get('content-type')).toMatch(/text\/javascript/);
    expect((await fetch(s.url + '..%2f..%2fetc%2fpasswd')).status).toBe(404);
    expect((await fetch(s.url + 'missing.js')).status).toBe(404);
  });

  it('the headers a static server sends: nosniff, a content security policy, the types of .mjs, .wasm, .map', async () => {
    const index = await fetch(s.url);
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(index.headers.get('content-security-policy')).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
    expect((await fetch(s.url + 'lib.mjs')).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(s.url + 'k.wasm')).headers.get('content-type')).toBe('application/wasm');
    expect((await fetch(s.url + 'app.js.map')).headers.get('content-type')).toMatch(/^application\/json/);
    const head = await fetch(s.url + 'app.js', { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, '9']);
    expect((await fetch(s.url + 'app.js', { method: 'POST', body: 'x' })).status).toBe(405);
  });

  it('a malformed URL answers 400, and the server goes on', async () => {
    for (const target of ['/%', '/%zz', '/a%', '/%E0%A4%A', '/x%00y', '/a%5c..%5csecret', 'http://evil/', '*', 'index.html']) {
      expect(await get(target), target).toBe(400);
    }
    expect(await rawRequest(port, 'GARBAGE\r\n\r\n')).toBe(400);
    expect(await rawRequest(port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nBad Header\r\n\r\n`)).toBe(400);
    expect(await get('/')).toBe(200);
  });

  it('symbolic links: followed only to a regular file inside the folder', async () => {
    expect(await get('/leak.txt')).toBe(404);
    expect(await get('/up/secret.txt')).toBe(404);
    expect(await get('/alias.txt')).toBe(200);
    expect(await get('/sub/a.txt')).toBe(200);
    expect(await get('/sub')).toBe(404); // a folder
  });

  it('Host: 127.0.0.1, localhost and [::1] with the port; any other name or port answers 421; none 400', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) expect(await get('/', host), host).toBe(200);
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${port + 1}`, '127.0.0.1', `127.0.0.1.evil:${port}`, '']) {
      expect(await get('/', host), host).toBe(421);
    }
    expect(await rawRequest(port, 'GET / HTTP/1.0\r\n\r\n')).toBe(400);
  });

  it('streams: 20 stalled downloads of an 8 MB file hold far less than 20 copies of it', { timeout: 30_000 }, async () => {
    writeFileSync(join(dir, 'big.bin'), randomBytes(8 * 2 ** 20));
    const before = process.memoryUsage().arrayBuffers;
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => {});
        socket.pause(); // a client that does not read
        socket.write(`GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
        sockets.push(socket);
      }
      await new Promise((r) => setTimeout(r, 1500));
      const grown = (process.memoryUsage().arrayBuffers - before) / 2 ** 20;
      // read whole, each request held its own 8 MB buffer: 160 MB
      expect(grown, `${grown.toFixed(1)} MB`).toBeLessThan(40);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
    expect(await get('/big.bin')).toBe(200);
  });
});

// the compiled bin (npm run build): a stop signal to its PID alone stops the server at once
const bin = join(process.cwd(), 'dist/src/node/bin/alexnet.js');
describe.skipIf(!existsSync(bin))('alexnet serve, the bin', () => {
  it('SIGINT to the bin alone stops it within seconds with status 130, a half-sent request open', { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
        if (m) resolve(m[0]);
      });
      child.on('exit', () => reject(new Error(`exited: ${out}`)));
    });
    const p = Number(new URL(url).port);
    const half = connect(p, '127.0.0.1');
    half.on('error', () => {});
    half.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n`); // headers never finished
    const idle = connect(p, '127.0.0.1');
    idle.on('error', () => {});
    try {
      await new Promise((r) => setTimeout(r, 300));
      const t = Date.now();
      const exited = new Promise<number | null>((resolve) => {
        child.on('exit', (code) => resolve(code));
        setTimeout(() => resolve(null), 10_000);
      });
      child.kill('SIGINT');
      const code = await exited;
      expect(code, 'still running 10 s after SIGINT').toBe(130);
      expect(Date.now() - t).toBeLessThan(8000); // it took 120 s with a half-sent request open
    } finally {
      half.destroy();
      idle.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
