// SPDX-License-Identifier: MIT
// `alexnet serve [--port N] [--dir DIR]`: the web app (dist/web, built by `npm run build:web`)
// on http://127.0.0.1:N with node:http. Loopback only: a page on 127.0.0.1 is a secure context,
// which WebGPU needs, and nothing is exposed to the network. A missing bundle is built when the
// source tree and esbuild are there, and otherwise named with the command that builds it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseInteger, UsageError, type CommandContext } from './commands/common.js';

export const SERVE_USAGE = '  serve     [--port N] [--dir DIR]';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.wgsl': 'text/plain; charset=utf-8',
  '.safetensors': 'application/octet-stream',
};

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
  throw new UsageError(`the web app is not built (${dir} has no app.js): run 'npm run build:web' in the package folder (it needs the dev dependency esbuild)`);
}

/** Serves the files under `dir` on 127.0.0.1:`port` (0: any free port). Resolves once listening. */
export function serveStatic(dir: string, port: number): Promise<{ server: Server; url: string }> {
  const base = normalize(dir + sep);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const file = normalize(join(base, path.endsWith('/') ? path + 'index.html' : path));
    if (!file.startsWith(base) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new UsageError(`--port ${port}: the port is in use; pick another with --port N`) : e),
    );
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address();
      const p = typeof addr === 'object' && addr ? addr.port : port;
      resolve({ server, url: `http://127.0.0.1:${p}/` });
    });
  });
}

export async function serveCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, dir: { type: 'string' } }, strict: true });
  const port = parseInteger('port', values.port, 0, 8080);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got '${values.port}'`);
  const dir = values.dir ?? webBundleDir();
  if (!existsSync(join(dir, 'index.html'))) throw new UsageError(`--dir ${dir}: no index.html there`);
  const { server, url } = await serveStatic(dir, port);
  ctx.io.stdout(`Serving the web app on ${url}\nOpen it in a browser with WebGPU (Chrome/Edge 113+, Firefox with dom.webgpu.enabled, Safari 26+). Ctrl-C stops.\n`);
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
