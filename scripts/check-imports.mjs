// The house rules of src/, checked by `npm run typecheck` (CI) and by the tests
// (test/tensor/house.test.ts):
//   1. no import cycle between files: an import that runs back into a file that imports it
//      (type-only imports are erased by the compiler and do not count; `await import()` does);
//   2. no source file over MAX_LINES lines, except the files listed in LONG_FILES, each with
//      why. A file leaves the list when it is split; a new long file needs a reason here;
//   3. the layers: a folder of src/ imports only from the folders LAYERS allows it.
// Prints every problem and exits 1 if there is one. `--json` prints the import graph's facts.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MAX_LINES = 450;

/** Files allowed over MAX_LINES, with why (paths relative to the repository root). */
export const LONG_FILES = {
  'src/node/data/jpeg-decoder.ts':
    "jpeg-js 0.4.4's decoder, vendored whole with its licence so that it diffs line for line against upstream (one fix, marked)",
};

/**
 * The layers: which folders of src/ each folder may import from (type-only imports too: a
 * type from a higher layer is a dependency on it all the same). The core never reaches the
 * Node or browser edges; tensor/ sits on the kernels alone; layers/, optim/ and data/ on the
 * tensor core alone (copyInto lives in tensor/ so that optim/ needs nothing of layers/).
 */
export const LAYERS = {
  kernels: [],
  tensor: ['kernels'],
  data: ['tensor'],
  layers: ['tensor'],
  optim: ['tensor'],
  models: ['tensor', 'layers', 'io'],
  // safetensors and hash init sit under models/ (alexnet.ts), checkpoints over them (they build one)
  io: ['tensor', 'layers', 'optim', 'models'],
  train: ['tensor', 'layers', 'optim', 'models', 'io', 'data'],
  node: ['kernels', 'tensor', 'data', 'layers', 'optim', 'models', 'io', 'train'],
  web: ['kernels', 'tensor', 'data', 'layers', 'optim', 'models', 'io', 'train'],
};

/** Import cycles allowed, each as its files sorted and joined by ' <-> ', with why. */
export const ALLOWED_CYCLES = {
  'src/tensor/ops/elementwise.ts <-> src/tensor/ops/reduce.ts':
    'backward rules that need each other: a broadcast op\'s gradient is a sum (sumToShape), a reduction\'s is a broadcast (broadcastTo, mul)',
};

const root = fileURLToPath(new URL('..', import.meta.url));

function walk(dir) {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return walk(p);
    return n.endsWith('.ts') && !n.endsWith('.d.ts') ? [p] : [];
  });
}

/** Runtime imports of a TypeScript file: relative specifiers only, type-only ones left out. */
export function runtimeImports(text) {
  return imports(text, false);
}

/** Every relative import of a file, type-only ones too when `types`. */
export function imports(text, types = true) {
  const out = [];
  // static imports and re-exports: `import x, { a, type B } from '...'`, `export { a } from '...'`, `import '...'`
  const re = /(?:^|\n)\s*(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) {
    if (m[5] || m[6]) {
      out.push(m[5] ?? m[6]);
      continue;
    }
    if (m[2] && !types) continue; // import type / export type
    const clause = m[3].trim();
    const braces = clause.match(/^\{([\s\S]*)\}$/);
    // `{ type A, type B }` only: erased
    if (!types && braces && braces[1].split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type '))) continue;
    out.push(m[4]);
  }
  return out.filter((s) => s.startsWith('.'));
}

function resolveImport(from, spec) {
  const base = resolve(dirname(from), spec);
  for (const p of [base.replace(/\.js$/, '.ts'), base + '.ts', join(base, 'index.ts')]) if (existsSync(p)) return p;
  return null;
}

/** Strongly connected components with more than one file (Tarjan). */
function cycles(graph) {
  let index = 0;
  const idx = new Map(), low = new Map(), stack = [], on = new Set(), out = [];
  const visit = (v) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const c = [];
      let w;
      do { w = stack.pop(); on.delete(w); c.push(w); } while (w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

export function checkHouse(dir = join(root, 'src')) {
  const files = walk(dir);
  const graph = new Map();
  const problems = [];
  for (const f of files) {
    const rel = relative(root, f).split('\\').join('/');
    const text = readFileSync(f, 'utf8');
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines > MAX_LINES && !(rel in LONG_FILES)) problems.push(`${rel}: ${lines} lines (over ${MAX_LINES}; split it, or list it in LONG_FILES with why)`);
    graph.set(rel, runtimeImports(text).map((s) => resolveImport(f, s)).filter(Boolean).map((p) => relative(root, p).split('\\').join('/')));
    const from = rel.split('/')[1];
    for (const s of imports(text)) {
      const target = resolveImport(f, s);
      const to = target && relative(join(root, 'src'), target).split('\\').join('/').split('/')[0];
      if (!to || to === from) continue;
      if (LAYERS[from] && !LAYERS[from].includes(to)) problems.push(`${rel} imports ${s}: ${from}/ may import only from ${LAYERS[from].join(', ') || 'nothing'} (LAYERS)`);
    }
  }
  for (const c of cycles(graph)) {
    const key = c.join(' <-> ');
    if (!(key in ALLOWED_CYCLES)) problems.push(`import cycle: ${key}`);
  }
  for (const f of Object.keys(LONG_FILES)) if (!existsSync(join(root, f))) problems.push(`LONG_FILES names ${f}, which does not exist: remove it`);
  return { files: files.length, edges: [...graph.values()].reduce((n, e) => n + e.length, 0), problems };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const r = checkHouse();
  if (process.argv.includes('--json')) console.log(JSON.stringify(r, null, 1));
  for (const p of r.problems) console.error(p);
  console.log(`check-imports: ${r.files} files, ${r.edges} runtime imports, ${r.problems.length} problem(s)`);
  process.exit(r.problems.length ? 1 : 0);
}
