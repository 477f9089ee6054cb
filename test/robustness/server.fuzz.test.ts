// The static server of `alexnet serve` under random hostile requests (issue 24): malformed
// request targets (broken percent escapes, NUL, backslashes, traversal, odd bytes, long paths),
// methods, Host values and headers (CR/LF, NUL, oversized values). Every request gets an HTTP
// answer of an expected kind (or a closed connection for what the parser cannot frame), no answer
// ever carries a file from outside the served folder, and the server still answers a good
// request after each round. Loopback only (the server binds 127.0.0.1), bounded: fuzzCases(160)
// requests, one at a time, each with its own deadline. ALEXNET_FUZZ=20 for 20 times the cases.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic, type StaticServer } from '../../src/node/serve.js';
import { FUZZ_SEED, fuzzCases, fuzzTimeout, Rng } from './fuzz.js';

const SECRET = 'SECRET-OUTSIDE-THE-FOLDER';
const root = mkdtempSync(join(tmpdir(), 'server-fuzz-'));
const dir = join(root, 'site');
let served: StaticServer;
let port: number;

beforeAll(async () => {
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<p>app</p>');
  writeFileSync(join(dir, 'app.js'), 'export {}');
  writeFileSync(join(dir, 'sub', 'a b.txt'), 'inside');
  writeFileSync(join(dir, '.hidden'), SECRET);
  writeFileSync(join(root, 'secret.txt'), SECRET);
  symlinkSync(join(root, 'secret.txt'), join(dir, 'link.txt'));
  symlinkSync(root, join(dir, 'parent'));
  served = await serveStatic(dir, 0, { headersTimeoutMs: 2000 });
  port = Number(new URL(served.url).port);
});
afterAll(async () => {
  await served?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** Sends raw bytes; the status (0: closed without an answer) and what came back. */
function send(bytes: Buffer, timeoutMs = 5000): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), text });
    };
    socket.on('data', (d) => chunks.push(d));
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', () => {});
    socket.end(bytes);
  });
}

const SEGMENTS = ['', '.', '..', '...', 'sub', 'a b.txt', 'a%20b.txt', 'index.html', 'app.js', 'link.txt', 'parent', 'secret.txt', '.hidden', '%2e%2e', '%2E%2e%2f', '..%2f', '%2f', '%5c', '%00', '%', '%z', '%E0%A4', '%C0%AE', '%ff', '~', '😀', 'é', '\\', '//', ';', '?', '#', '%3f', 'a'.repeat(300)];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'get', 'G ET', 'GET\0', 'PATCH', 'X'.repeat(40)];

function target(rng: Rng): string {
  if (rng.chance(0.08)) return rng.pick(['*', 'http://127.0.0.1/', 'http://evil.example/', '', ' ', 'index.html', '//etc/passwd']);
  const parts = Array.from({ length: rng.int(1, 6) }, () => rng.pick(SEGMENTS));
  let t = '/' + parts.join('/');
  if (rng.chance(0.15)) t += '?' + rng.pick(['a=1', '%', '../x', '\0']);
  if (rng.chance(0.1)) t = t.repeat(rng.int(2, 40));
  return t;
}

function host(rng: Rng): string | undefined {
  return rng.pick([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `evil.example:${port}`, 'evil.example', `127.0.0.1:${port + 1}`, '', undefined, `127.0.0.1:${port}\r\nX-Injected: 1`, 'x'.repeat(20000), `local\0host:${port}`]);
}

function headers(rng: Rng): string {
  const lines: string[] = [];
  for (let i = rng.int(0, 4); i > 0; i--) {
    lines.push(
      rng.pick([
        'Connection: close',
        'Connection: keep-alive',
        'Content-Length: 5',
        'Content-Length: -1',
        'Content-Length: abc',
        'Transfer-Encoding: chunked',
        'Range: bytes=0-3',
        'Range: bytes=-99999999999',
        'Accept-Encoding: gzip',
        'If-None-Match: *',
        'X: \0',
        'Bad Header',
        ': empty name',
        `X-Long: ${'v'.repeat(rng.int(1, 20000))}`,
        'X-Unicode: é😀',
      ]),
    );
  }
  return lines.join('\r\n');
}

// a request's answer: one of these, or a closed connection (0) for what the parser cannot frame
const EXPECTED = new Set([0, 200, 400, 404, 405, 414, 421, 431]);

describe('the static server under random hostile requests', () => {
  it(`answers every request as expected and never leaks a file from outside the folder (seed ${FUZZ_SEED})`, { timeout: fuzzTimeout(60_000) }, async () => {
    const rng = new Rng(FUZZ_SEED);
    const cases = fuzzCases(160);
    const bad: string[] = [];
    for (let i = 0; i < cases; i++) {
      const h = host(rng);
      const request = `${rng.pick(METHODS)} ${target(rng)} HTTP/1.${rng.pick(['1', '0', '1'])}\r\n${h === undefined ? '' : `Host: ${h}\r\n`}${headers(rng)}\r\n\r\n${rng.chance(0.2) ? 'body' : ''}`;
      const { status, text } = await send(Buffer.from(request, rng.chance(0.9) ? 'utf8' : 'latin1'));
      if (!EXPECTED.has(status)) bad.push(`status ${status} for ${JSON.stringify(request.slice(0, 200))}`);
      if (text.includes(SECRET)) bad.push(`leaked a file outside the folder for ${JSON.stringify(request.slice(0, 200))}`);
      if (i % 20 === 19) {
        const ok = await send(Buffer.from(`GET /sub/a%20b.txt HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`));
        if (ok.status !== 200 || !ok.text.endsWith('inside')) bad.push(`after case ${i}, a good request got ${ok.status}`);
      }
    }
    expect(bad, `seed ${FUZZ_SEED} (ALEXNET_FUZZ_SEED=${FUZZ_SEED} replays it)`).toEqual([]);
  });
});
