// SPDX-License-Identifier: MIT
// The browser benchmark's server: a few folders under URL prefixes on 127.0.0.1 (the page's
// bundle, onnxruntime-web's files from node_modules, the exported ONNX model), with a
// Content-Security-Policy that lets a page load nothing from any other origin. Every request
// is recorded; one for a missing file is a problem the harness fails on.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
};

/**
 * Only this origin: scripts, WebAssembly, fetches and workers from the page's own server. A
 * request anywhere else is blocked by the browser and reported to the page
 * (securitypolicyviolation), which the harness fails on.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
].join('; ');

export interface BenchServer {
  /** http://127.0.0.1:PORT/ */
  url: string;
  origin: string;
  /** every request's method and path, in order */
  requests: string[];
  /** requests that found no file, or another method than GET and HEAD */
  problems: string[];
  close(): Promise<void>;
}

/** Serves `routes` (URL prefix ending in '/' -> folder) on 127.0.0.1, any free port. */
export function serveBench(routes: Record<string, string>): Promise<BenchServer> {
  const requests: string[] = [];
  const problems: string[] = [];
  // longest prefix first, so '/ort/' wins over '/'
  const table = Object.entries(routes).sort((a, b) => b[0].length - a[0].length).map(([p, d]) => [p, normalize(d + sep)] as const);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    requests.push(`${req.method} ${path}`);
    const route = table.find(([p]) => path.startsWith(p));
    const rel = route ? path.slice(route[0].length) : '';
    const file = route ? normalize(join(route[1], rel === '' ? 'index.html' : rel)) : '';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      problems.push(`${req.method} ${path}: method not allowed`);
      res.writeHead(405).end();
      return;
    }
    if (!route || !file.startsWith(route[1]) || !existsSync(file) || !statSync(file).isFile()) {
      problems.push(`GET ${path}: not found`);
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': statSync(file).size,
      'cache-control': 'no-store',
      'content-security-policy': CSP,
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      const origin = `http://127.0.0.1:${port}`;
      resolve({
        url: `${origin}/`, origin, requests, problems,
        close: () => new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
      });
    });
  });
}
