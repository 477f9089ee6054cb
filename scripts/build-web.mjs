// Bundles the web app with esbuild into dist/web/: app.js (the app, the core and the web edge),
// decode-worker.js (image decoding off the page's thread), index.html and style.css.
// Also prints the size of the core alone (src/index.ts, minified, gzipped). `npm run build:web`.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
mkdirSync(out, { recursive: true });
// the kernels' WGSL source as a module (as `npm run build` does first)
execFileSync(process.execPath, [join(root, 'scripts', 'embed-wgsl.mjs')], { stdio: 'inherit' });

// .md: the kernel lab shows sections of docs/conv2d.md, embedded as text
const common = { bundle: true, platform: 'browser', format: 'esm', target: 'es2022', sourcemap: true, logLevel: 'warning', loader: { '.md': 'text' } };
await build({ ...common, entryPoints: { app: join(root, 'web', 'app.ts'), 'decode-worker': join(root, 'src', 'web', 'decode-worker.ts') }, outdir: out, minify: true });
for (const f of ['index.html', 'style.css']) copyFileSync(join(root, 'web', f), join(out, f));

const lib = await build({ ...common, entryPoints: [join(root, 'src', 'index.ts')], write: false, minify: true, sourcemap: false });
const bytes = lib.outputFiles[0].contents;
console.log(`build:web: dist/web/ written; the core bundle is ${(bytes.length / 1024).toFixed(0)} kB minified, ${(gzipSync(bytes).length / 1024).toFixed(0)} kB gzipped`);
