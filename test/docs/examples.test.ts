// docs/conv2d.md cannot go stale: every TypeScript example runs and prints exactly the output
// block quoted under it; every excerpt of a source file (a block opening with
// `// excerpt: <path>`) and every diff (`--- a/<path>` / `+++ b/<path>`) quotes lines that are
// in those files, in their order; the minimal tiled GEMM listed in the text compiles and
// matches the float64 oracle; and every generated block is what scripts/docs/blocks.ts draws
// today (`npm run docs` redraws them).
import { transform } from 'esbuild';
import { format } from 'node:util';
import { describe, expect, it } from 'vitest';
import * as core from '../../src/index.js';
import * as node from '../../src/node/index.js';
import { matmulRef } from '../../src/tensor/reference/matmul.js';
import { blocksIn, fillBlocks, generatedBlocks } from '../../scripts/docs/blocks.js';
import { expectClose, randomArray } from '../helpers/check.js';
import { gpu } from '../helpers/gpu.js';
import { fences, read, ROOT, type Fence } from './markdown.js';

const DOC = 'docs/conv2d.md';
const doc = read(DOC);
const all = fences(doc);
const isExcerpt = (f: Fence) => /^\/\/ excerpt: /.test(f.body);
const examples = all.filter((f) => f.lang === 'ts' && !isExcerpt(f));

/** Runs a docs example against the library's source (and the test's device); returns what it printed. */
export async function runExample(code: string): Promise<string> {
  const js = (await transform(code, { loader: 'ts', format: 'esm', target: 'es2022' })).code;
  const mods: Record<string, unknown> = {
    'webgpu-alexnet': core,
    // the example's own device is the test's: initDevice hands it over, destroyDevice leaves it
    'webgpu-alexnet/node': { ...node, initDevice: async () => gpu, destroyDevice: () => {} },
  };
  const body = js.replace(/^import\s*\{([^}]*)\}\s*from\s*["']([^"']+)["'];?$/gm, (_all, names: string, from: string) => {
    if (!(from in mods)) throw new Error(`a docs example imports '${from}', which the docs test does not provide`);
    return `const {${names.replace(/\bas\b/g, ':')}} = __mods[${JSON.stringify(from)}];`;
  });
  if (/^\s*import\s/m.test(body)) throw new Error(`a docs example has an import the docs test cannot read:\n${body}`);
  const printed: string[] = [];
  const log = { log: (...a: unknown[]) => printed.push(format(...a)) };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
  await new AsyncFunction('__mods', 'console', body)(mods, log);
  return printed.join('\n');
}

describe('docs/conv2d.md: the examples', () => {
  it('has examples, and each one that prints is followed by its output', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
    for (const f of examples) {
      if (/console\.log/.test(f.body)) expect(f.next?.lang, `${DOC}:${f.line}: an example that prints needs a \`\`\`text block right after it`).toBe('text');
    }
  });

  for (const f of examples) {
    const needsGpu = /initDevice|Tensor\./.test(f.body);
    it.skipIf(needsGpu && !gpu)(`the example at line ${f.line} runs and prints what the doc quotes`, async () => {
      const printed = await core.tidy(() => runExample(f.body));
      if (f.next?.lang === 'text') expect(printed, `${DOC}:${f.line}`).toBe(f.next.body);
    });
  }
});

/** The lines of a file, trimmed, for finding quoted lines in order. */
const linesOf = (rel: string) => read(rel).split('\n').map((l) => l.trim());

/** Finds each quoted line in the file, after the previous one; returns the first that is missing. */
function missingInOrder(rel: string, quoted: string[]): string | null {
  const lines = linesOf(rel);
  let at = 0;
  for (const q of quoted) {
    const t = q.trim();
    if (!t) continue;
    const i = lines.indexOf(t, at);
    if (i < 0) return lines.includes(t) ? `${t}   (in ${rel}, but not after the line before it)` : `${t}   (not in ${rel})`;
    at = i + 1;
  }
  return null;
}

describe('docs/conv2d.md: excerpts and diffs quote the code as it is', () => {
  const excerpts = all.filter(isExcerpt);
  const diffs = all.filter((f) => f.lang === 'diff');

  it('has an excerpt or a diff for every rung', () => {
    const quoted = [...excerpts, ...diffs].map((f) => f.body).join('\n');
    for (const v of new Set(core.conv2dVersions().map((x) => x.name))) {
      expect(quoted, `no excerpt or diff quotes rung ${v}'s files`).toMatch(new RegExp(`conv2d/${v}[._]`));
    }
  });

  for (const f of excerpts) {
    it(`the excerpt at line ${f.line}`, () => {
      const [head, ...rest] = f.body.split('\n');
      const file = head!.replace('// excerpt: ', '').trim();
      expect(missingInOrder(file, rest), `${DOC}:${f.line}`).toBeNull();
    });
  }

  for (const f of diffs) {
    it(`the diff at line ${f.line}`, () => {
      // hunks: "--- a/<old>" then "+++ b/<new>", then -, + and context lines
      const hunks: Array<{ a: string; b: string; minus: string[]; plus: string[] }> = [];
      for (const l of f.body.split('\n')) {
        if (l.startsWith('--- a/')) hunks.push({ a: l.slice(6), b: '', minus: [], plus: [] });
        else if (l.startsWith('+++ b/')) hunks[hunks.length - 1]!.b = l.slice(6);
        else if (l.startsWith('-')) hunks[hunks.length - 1]!.minus.push(l.slice(1));
        else if (l.startsWith('+') || l.startsWith(' ')) hunks[hunks.length - 1]!.plus.push(l.slice(1));
        else throw new Error(`${DOC}:${f.line}: a diff line that is not -, + or context: ${l}`);
      }
      expect(hunks.length).toBeGreaterThan(0);
      for (const h of hunks) {
        expect(h.b, `${DOC}:${f.line}: a hunk without +++`).not.toBe('');
        expect(missingInOrder(h.a, h.minus), `${DOC}:${f.line} (removed lines)`).toBeNull();
        expect(missingInOrder(h.b, h.plus), `${DOC}:${f.line} (added lines)`).toBeNull();
      }
    });
  }

  it('finds a quoted line that is not in the file (the check can fail)', () => {
    expect(missingInOrder('src/kernels/wgsl/conv2d/01_naive.wgsl', ['acc += xv * wv;', 'acc += xv * wv * 2.0;'])).toMatch(/not in/);
    expect(missingInOrder('src/kernels/wgsl/conv2d/01_naive.wgsl', ['acc += xv * wv;', 'var acc = 0.0;'])).toMatch(/not after/);
  });
});

describe.skipIf(!gpu)('docs/conv2d.md: the minimal tiled GEMM', () => {
  it('compiles, and its C matches the float64 oracle on sizes that are not tile multiples', async () => {
    const listing = all.find((f) => f.lang === 'wgsl' && /a minimal tiled GEMM/.test(f.body));
    expect(listing, 'the bare tile loop listing').toBeDefined();
    const dev = gpu!.gpu;
    const module = dev.createShaderModule({ code: listing!.body });
    const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
    expect(errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`)).toEqual([]);
    const [m, n, k] = [70, 75, 21];
    const a = Float32Array.from(randomArray(m * k, 31));
    const b = Float32Array.from(randomArray(k * n, 32));
    const buf = (data: ArrayBufferView | number, usage: number) => {
      const size = typeof data === 'number' ? data : data.byteLength;
      const out = dev.createBuffer({ size, usage, mappedAtCreation: typeof data !== 'number' });
      if (typeof data !== 'number') {
        new Uint8Array(out.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        out.unmap();
      }
      return out;
    };
    const S = GPUBufferUsage.STORAGE;
    const bufs = [buf(new Uint32Array([m, n, k, 0]), GPUBufferUsage.UNIFORM), buf(a, S), buf(b, S), buf(m * n * 4, S | GPUBufferUsage.COPY_SRC)];
    const readback = buf(m * n * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    const pipeline = dev.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const bind = dev.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: bufs.map((buffer, binding) => ({ binding, resource: { buffer } })) });
    await gpu!.sync();
    const enc = dev.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(Math.ceil(n / 64), Math.ceil(m / 64));
    pass.end();
    enc.copyBufferToBuffer(bufs[3]!, 0, readback, 0, m * n * 4);
    dev.queue.submit([enc.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    const c = new Float32Array(readback.getMappedRange().slice(0));
    readback.unmap();
    for (const x of [...bufs, readback]) x.destroy();
    expectClose(c, matmulRef(Float64Array.from(a), Float64Array.from(b), 1, m, n, k), { atol: 1e-4, name: 'bare tile loop' });
  });
});

describe('docs/conv2d.md: generated blocks', () => {
  it('has every block, each as scripts/docs/blocks.ts draws it today (npm run docs redraws them)', () => {
    const want = generatedBlocks(ROOT);
    const have = blocksIn(doc);
    expect(Object.keys(have).sort()).toEqual(Object.keys(want).sort());
    for (const [name, text] of Object.entries(want)) expect(have[name], `block "${name}" is stale: run npm run docs`).toBe(text);
    expect(fillBlocks(doc, want, DOC)).toBe(doc);
  });

  it('names a block a new rung needs and the doc lacks', () => {
    expect(() => fillBlocks(doc, { ...generatedBlocks(ROOT), 'measured 07_new_rung': '' }, DOC)).toThrow(/missing: measured 07_new_rung/);
  });
});
