// SPDX-License-Identifier: MIT
// `alexnet serve [--port N] [--dir DIR]`: the web app (dist/web, built by `npm run build:web`)
// on http://127.0.0.1:N with node:http. Loopback only: a page on 127.0.0.1 is a secure context,
// which WebGPU needs, and nothing is exposed to the network. A missing bundle is built when the
// source tree and esbuild are there, and otherwise named with the command that builds it.
//
// A server, written as one: every malformed request line or header answers 400 and the server
// goes on; only GET and HEAD; a Host header other than this loopback address and port answers
// 421 (a page of another origin cannot read the files through DNS rebinding); only regular files
// whose real path is inside the folder are served (no symbolic link out of it, no dot files);
// files are streamed, never read whole, with a bounded number of connections and open files;
// slow or idle connections time out; a stop signal closes every connection at once.

import { execFileSync } from 'node:child_process';
import { constants, existsSync, realpathSync } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseInteger, UsageError, type CommandContext } from './commands/common.js';
import { quotePath } from './quote.js';
import { listenForStop, signalStatus } from './stop-signals.js';

export const SERVE_USAGE = '  serve     [--port N] [--dir DIR]';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wgsl': 'text/plain; charset=utf-8',
  '.safetensors': 'application/octet-stream',
};

/**
 * The app's policy: its own scripts, styles (and the inline widths of the prediction bars),
 * workers and images (canvases' blob: and data: URLs); nothing from elsewhere, no framing.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; worker-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Sent with every response. */
const HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'cache-control': 'no-cache',
} as const;

export interface ServeLimits {
  /** Connections open at once; more are refused by the kernel's backlog. Default 64. */
  maxConnections?: number;
  /** Files being sent at once; requests beyond wait their turn. Default 16. */
  maxOpenFiles?: number;
  /** Time to send the request headers, ms. Default 10 s. */
  headersTimeoutMs?: number;
  /** Time a connection may stay silent (no byte read or written), ms. Default 30 s. */
  idleTimeoutMs?: number;
}

/** The package root (dist/src/node/serve.js or src/node/serve.ts -> three or two levels up). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** dist/web, built if missing and possible; throws a UsageError that says how otherwise. */
export function webBundleDir(build = true): string {
  const root = packageRoot();
  const dir = join(root, 'dist', 'web');
  if (existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'app.js'))) return dir;
  const script = join(root, 'scripts', 'build-web.mjs');
  if (build && existsSync(script) && existsSync(join(root, 'node_modules', 'esbuild'))) {
    execFileSync(process.execPath, [script], { cwd: root, stdio: 'inherit' });
    if (existsSync(join(dir, 'app.js'))) return dir;
  }
  throw new UsageError(`the web app is not built (${quotePath(dir)} has no app.js): run 'npm run build:web' in the package folder (it needs the dev dependency esbuild)`);
}

/**
 * The path of a request target, decoded, or null when it is malformed: not an origin-form path
 * (`/...`), a broken percent escape, a NUL or a backslash.
 */
export function requestPath(target: string | undefined): string | null {
  if (target === undefined || !target.startsWith('/')) return null;
  const raw = target.split(/[?#]/, 1)[0]!;
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return null;
  }
  return /[\0\\]/.test(path) ? null : path;
}

/** The Host values this server answers to (DNS rebinding: a foreign name resolving to 127.0.0.1 is not one). */
function allowedHosts(port: number): Set<string> {
  const names = ['127.0.0.1', 'localhost', '[::1]'];
  return new Set([...names.map((n) => `${n}:${port}`), ...(port === 80 ? names : [])]);
}

function reply(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { ...HEADERS, 'content-type': 'text/plain; charset=utf-8', ...extra }).end(text + '\n');
}

/** A counter of files being sent, with a queue of requests waiting for one. */
function slots(max: number): { take: () => Promise<() => void> } {
  let used = 0;
  const waiting: (() => void)[] = [];
  const give = () => {
    used--;
    const next = waiting.shift();
    if (next) {
      used++;
      next();
    }
  };
  return {
    take: () =>
      new Promise((resolve) => {
        let done = false;
        const release = () => {
          if (!done) {
            done = true;
            give();
          }
        };
        if (used < max) {
          used++;
          resolve(release);
        } else waiting.push(() => resolve(release));
      }),
  };
}

/** A running server: its URL, and `stop()` that closes it and every connection (in-flight downloads too). */
export interface StaticServer {
  server: Server;
  url: string;
  stop(): Promise<void>;
}

/** Serves the regular files under `dir` on 127.0.0.1:`port` (0: any free port). Resolves once listening. */
export function serveStatic(dir: string, port: number, limits: ServeLimits = {}): Promise<StaticServer> {
  const base = realpathSync(dir);
  const files = slots(limits.maxOpenFiles ?? 16);
  let hosts = allowedHosts(port);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const host = req.headers.host;
    if (host === undefined) return reply(res, 400, 'bad request: no Host header');
    if (!hosts.has(host.toLowerCase())) return reply(res, 421, 'misdirected request: this server answers to 127.0.0.1, localhost and [::1] on its own port only');
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
    const path = requestPath(req.url);
    if (path === null) return reply(res, 400, 'bad request: malformed URL');
    const parts = path.split('/').filter((p) => p !== '');
    // '..' (any form, once decoded) and dot files are not served
    if (parts.some((p) => p.startsWith('.'))) return reply(res, 404, 'not found');
    const wanted = join(base, ...parts, path.endsWith('/') ? 'index.html' : '');
    let real: string;
    try {
      real = await realpath(wanted);
    } catch {
      return reply(res, 404, 'not found');
    }
    // the real path: a symbolic link that leads out of the folder is not followed
    if (real !== base && !real.startsWith(base.endsWith(sep) ? base : base + sep)) return reply(res, 404, 'not found');
    const release = await files.take();
    let handle;
    try {
      handle = await open(real, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0));
      const st = await handle.stat();
      if (!st.isFile()) {
        await handle.close();
        release();
        return reply(res, 404, 'not found');
      }
      if (res.destroyed) throw new Error('closed');
      res.writeHead(200, { ...HEADERS, 'content-type': TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream', 'content-length': String(st.size) });
      if (req.method === 'HEAD') {
        res.end();
        await handle.close();
        release();
        return;
      }
    } catch {
      await handle?.close().catch(() => {});
      release();
      return reply(res, 404, 'not found');
    }
    const stream = handle.createReadStream({ autoClose: true });
    const finish = () => {
      stream.destroy();
      release();
    };
    res.once('close', finish);
    stream.once('error', () => res.destroy());
    stream.pipe(res);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => reply(res, 500, 'internal error'));
  });
  server.maxConnections = limits.maxConnections ?? 64;
  // a client that half-closes after its request (nc -N) still gets the answer
  (server as { httpAllowHalfOpen?: boolean }).httpAllowHalfOpen = true;
  server.headersTimeout = limits.headersTimeoutMs ?? 10_000;
  server.requestTimeout = (limits.headersTimeoutMs ?? 10_000) * 2;
  server.keepAliveTimeout = 5_000;
  server.setTimeout(limits.idleTimeoutMs ?? 30_000, (socket) => socket.destroy());
  // a malformed request line or header: 400, and the server goes on
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new UsageError(`--port ${port}: the port is in use; pick another with --port N`) : e),
    );
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address();
      const p = typeof addr === 'object' && addr ? addr.port : port;
      hosts = allowedHosts(p);
      resolve({ server, url: `http://127.0.0.1:${p}/`, stop });
    });
  });
}

export async function serveCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, dir: { type: 'string' } }, strict: true });
  const port = parseInteger('port', values.port, 0, 8080);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got '${values.port}'`);
  const dir = values.dir ?? webBundleDir();
  if (!existsSync(join(dir, 'index.html'))) throw new UsageError(`--dir ${quotePath(dir)}: no index.html there`);
  let stopped: (signal: Parameters<typeof signalStatus>[0]) => void = () => {};
  const signalled = new Promise<Parameters<typeof signalStatus>[0]>((resolve) => (stopped = resolve));
  // listening before the server starts: a signal during start-up is not lost
  const listener = listenForStop((signal) => stopped(signal));
  try {
    const served = await serveStatic(dir, port);
    ctx.io.stdout(`Serving the web app on ${served.url}\nOpen it in a browser with WebGPU (Chrome/Edge 113+, Firefox with dom.webgpu.enabled, Safari 26+). Ctrl-C stops.\n`);
    const signal = await signalled;
    await served.stop();
    ctx.io.stderr(`alexnet serve: ${signal}: stopped\n`);
    return signalStatus(signal);
  } finally {
    listener.dispose();
  }
}
