// What the conv docs name is there: every file path in docs/conv2d.md, the README's "Reading
// the code" and the kernel folders' READMEs exists; every command in them names a script,
// options and versions that exist, and docs/conv2d.md's benchmark commands run (on a batch of
// 1, once); the numbers the text states are the code's; the kernel lab and the doc link to
// each other; and src/kernels/wgsl/conv2d/README.md's claims about the kernels hold.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conv2dVersions, convShape, ruleConv2d, s2dShape, type ConvShape } from '../../src/tensor/ops/conv2d/index.js';
import { IM2COL_GEMM } from '../../src/tensor/ops/conv2d/02_im2col.js';
import { CONV_TUNING, fitWgrad } from '../../src/tensor/ops/conv2d/tuning.js';
import { winogradMaxAlpha, winogradSaving, winogradTileFor } from '../../src/tensor/ops/conv2d/winograd_matrices.js';
import { matmulVersionOf, matmulVersions } from '../../src/tensor/ops/matmul/index.js';
import type { Device } from '../../src/tensor/device.js';
import { USAGE } from '../../src/node/cli.js';
import { benchConv } from '../../bench/conv2d.js';
import { LAYERS } from '../../scripts/docs/measured.js';
import { wgslConst, wgslHas, wgslWorkgroupSize } from '../../scripts/docs/figures.js';
import { winogradFor } from '../../src/tensor/ops/conv2d/04_winograd.js';
import { fullGemm } from '../../src/tensor/ops/matmul/gemm.js';
import { MATMUL_LAUNCH } from '../../src/tensor/ops/matmul/versions.js';
import { colsFor } from '../../src/tensor/ops/conv2d/06_winograd_gemm.js';
import { CONV_DOC_SECTIONS, docAnchor, docSection, MATMUL_DOC_SECTIONS } from '../../web/lab-doc.js';
import { ALEXNET_CONV } from '../../web/lab-run.js';
import { gpu } from '../helpers/gpu.js';
import { headings, read, ROOT } from './markdown.js';

const DOC = 'docs/conv2d.md';
const doc = read(DOC);
const readme = read('README.md');
const reading = readme.slice(readme.indexOf('## Reading the code'), readme.indexOf('\n## ', readme.indexOf('## Reading the code') + 5));
const SOURCES: Array<[string, string]> = [
  [DOC, doc], ['README.md', reading],
  ['src/kernels/wgsl/conv2d/README.md', read('src/kernels/wgsl/conv2d/README.md')],
  ['src/kernels/wgsl/matmul/README.md', read('src/kernels/wgsl/matmul/README.md')],
];
const outsideFences = (md: string) => md.replace(/^```[\s\S]*?^```/gm, '');
const inlineCode = (md: string) => [...outsideFences(md).matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);

/** Where a bare or relative file name in a doc may live. */
const SEARCH = ['', 'src/kernels/wgsl', 'src/kernels/wgsl/conv2d', 'src/kernels/wgsl/matmul', 'src/tensor/ops/conv2d', 'src/tensor/ops/matmul', 'src/tensor'];

/** Whether a path named in `docFile` exists (dist/x.js: its source x.ts; `*`: any match). */
function exists(docFile: string, p: string): boolean {
  const path = p.replace(/^dist\/(.*)\.js$/, '$1.ts').replace(/[#?].*$/, '');
  for (const base of [dirname(docFile), ...SEARCH]) {
    const full = join(ROOT, base, path);
    if (!path.includes('*')) {
      if (existsSync(full)) return true;
      continue;
    }
    const dir = dirname(full);
    const re = new RegExp(`^${path.split('/').pop()!.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
    if (existsSync(dir) && readdirSync(dir).some((f) => re.test(f))) return true;
  }
  return false;
}

const PATH = /^(\.\.\/|\.\/)?[\w.*/-]+\.(ts|js|wgsl|md|mjs|sh|svg|json|py)$|^[\w.-]+(\/[\w.-]+)+\/$/;

describe('conv docs: paths', () => {
  for (const [file, md] of SOURCES) {
    it(`every path ${file} names exists`, () => {
      const named = new Set<string>();
      for (const code of inlineCode(md)) for (const tok of code.split(/\s+/)) if (PATH.test(tok) && !tok.includes('<')) named.add(tok);
      for (const m of outsideFences(md).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) if (!/^https?:/.test(m[1]!)) named.add(m[1]!);
      expect(named.size).toBeGreaterThan(3);
      expect([...named].filter((p) => !exists(file, p)), `${file} names files that do not exist`).toEqual([]);
    });
  }

  it('every in-page link of docs/conv2d.md lands on a heading', () => {
    const anchors = new Set(headings(doc).map((h) => h.anchor));
    const links = [...outsideFences(doc).matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(5);
    expect(links.filter((a) => !anchors.has(a))).toEqual([]);
  });

  it('catches a path that does not exist (the check can fail)', () => {
    expect(exists(DOC, 'src/kernels/wgsl/conv2d/03_implicit_gemm.wgsl')).toBe(true);
    expect(exists(DOC, '03_implicit_gemm.wgsl')).toBe(true);
    expect(exists(DOC, 'conv2d/06_nothing.wgsl')).toBe(false);
    expect(exists(DOC, 'dist/bench/nothing.js')).toBe(false);
  });
});

// ---- commands -----------------------------------------------------------------------------

const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
const CLI = new Set([...USAGE.matchAll(/^ {2}(\w+)\s/gm)].map((m) => m[1]!));
const CONV_VERSIONS = new Set<string>(conv2dVersions().map((v) => v.name));

/** Commands in a markdown text: lines of sh blocks and inline code that start with node or npm. */
function commands(md: string): string[] {
  const out = inlineCode(md).filter((c) => /^(node|npm) /.test(c));
  for (const m of md.matchAll(/^```sh\n([\s\S]*?)^```/gm)) out.push(...m[1]!.split('\n').filter((l) => /^(node|npm) /.test(l)));
  // the command itself: no comment, no redirection of its output
  return out.map((c) => c.replace(/\s+#.*$/, '').replace(/\s+(\d?>|\|).*$/, '').trim());
}

/** Why a command would not run as written, or null. */
function commandProblem(cmd: string): string | null {
  const words = cmd.split(/\s+/);
  let script: string;
  let args: string[];
  if (words[0] === 'node') {
    const src = words[1]!.replace(/^dist\/(.*)\.js$/, '$1.ts');
    if (!existsSync(join(ROOT, src))) return `no source ${src} for ${words[1]}`;
    script = src;
    args = words.slice(2);
  } else {
    const name = words[1] === 'run' ? words[2]! : words[1]!;
    if (name !== 'test' && !pkg.scripts[name]) return `no npm script '${name}'`;
    args = words.slice(words.indexOf('--') >= 0 ? words.indexOf('--') + 1 : words.length);
    if (name === 'alexnet') return CLI.has(args[0]!) ? null : `no alexnet command '${args[0]}'`;
    const target = /node (\S+\.js)/.exec(pkg.scripts[name] ?? '')?.[1];
    if (!target) return null;
    script = target.replace(/^dist\/(.*)\.js$/, '$1.ts');
    if (name === 'bench') {
      const known = /known: ([^)]*)\)/.exec(read(script))![1]!.split(/,\s*/);
      const unknown = args.filter((a, i) => !a.startsWith('-') && !(i > 0 && args[i - 1]!.startsWith('--') && !['--json', '--quick'].includes(args[i - 1]!)) && !known.includes(a));
      if (unknown.length) return `unknown benchmark(s) ${unknown.join(', ')}`;
    }
  }
  // an option may be read by the script or by a module beside it (bench/run.ts hands --tune to bench/alexnet.ts)
  const source = readdirSync(join(ROOT, dirname(script))).filter((f) => f.endsWith('.ts')).map((f) => read(join(dirname(script), f))).join('\n');
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) continue;
    if (!source.includes(`'${a}'`) && !new RegExp(`\\b${a.slice(2)}: \\{ type:`).test(source)) return `${script} takes no option ${a}`;
    const value = args[i + 1] ?? '';
    if (a === '--versions') {
      const known = (v: string) => (script === 'bench/conv2d-cli.ts' ? CONV_VERSIONS.has(v) : CONV_VERSIONS.has(v) || !!matmulVersionOf(v));
      const bad = value.split(',').filter((v) => !known(v));
      if (bad.length) return `no version(s) ${bad.join(', ')}`;
    }
    if (a === '--layers' && value.split(',').some((l) => !LAYERS[l])) return `no layer(s) in ${value}`;
  }
  return null;
}

describe('conv docs: commands', () => {
  for (const [file, md] of [...SOURCES, ['BENCHMARKS.md', read('BENCHMARKS.md')], ['bench/README.md', read('bench/README.md')]] as Array<[string, string]>) {
    const cmds = commands(md).filter((c) => file !== 'BENCHMARKS.md' || /conv2d-cli\.js|npm run (docs|bench)/.test(c));
    it.skipIf(!cmds.length)(`every command in ${file} names a script, options and versions that exist`, () => {
      expect(cmds.map((c) => [c, commandProblem(c)]).filter(([, p]) => p)).toEqual([]);
    });
  }

  it('catches a stale command (the check can fail)', () => {
    expect(commandProblem('node dist/bench/conv2d-cli.js --versions implicit,splitk,winograd')).toMatch(/no version\(s\) implicit, splitk, winograd/);
    expect(commandProblem('node dist/bench/conv2d-cli.js --sizes 3')).toMatch(/takes no option --sizes/);
    expect(commandProblem('npm run alexnet -- fly')).toMatch(/no alexnet command 'fly'/);
    expect(commandProblem('npm run docs -- --import lavapipe x.json --peak 3')).toBeNull();
  });

  const runs = commands(doc).filter((c) => c.startsWith('node dist/bench/conv2d-cli.js') && /--versions/.test(c));
  it.skipIf(!gpu)(`the ${runs.length} benchmark commands of ${DOC} run (batch 1, one timed run)`, async () => {
    expect(runs.length).toBeGreaterThanOrEqual(6);
    for (const c of runs) {
      const arg = (n: string) => { const w = c.split(/\s+/); const i = w.indexOf(n); return i >= 0 ? w[i + 1]! : undefined; };
      const versions = arg('--versions')!.split(',');
      const rows = await benchConv({ device: gpu!, versions, layers: arg('--layers')!.split(','), batch: 1, repeats: 1, samples: 8, log: false });
      expect(new Set(rows.map((r) => r.version)), c).toEqual(new Set(versions));
      for (const r of rows) expect(r.maxRelError, `${c}: ${r.pass} ${r.version}`).toBeLessThan(2e-3);
    }
  });
});

// ---- numbers and links ----------------------------------------------------------------------

const fake = (isCpu: boolean) =>
  ({ info: { isCpu }, features: { subgroups: true, subgroupSize: isCpu ? 8 : 32 }, maxBinding: isCpu ? 128 * 2 ** 20 : 2 ** 31, alignment: 256 }) as unknown as Device;
const obj = (o: Record<string, unknown>) => `{ ${Object.entries(o).map(([k, v]) => `${k}: ${v}`).join(', ')} }`;

describe('conv docs: the numbers in the text are the code\'s', () => {
  const text = doc.replace(/\s+/g, ' ');
  it('03: block shapes, ownership, loads per multiply-add, conv1\'s weight-gradient block', () => {
    const { WG, PIX, COV } = CONV_TUNING.forward;
    expect(text).toContain(`\`CONV_TUNING.forward\` = \`${obj(CONV_TUNING.forward)}\``);
    expect(text).toContain(`\`CONV_TUNING.dgrad\` = \`${obj(CONV_TUNING.dgrad)}\``);
    expect(text).toContain(`\`CONV_TUNING.wgrad\` = \`${obj(CONV_TUNING.wgrad)}\``);
    expect(text).toContain(`a workgroup of ${WG} invocations owns ${WG * PIX} pixels and ${4 * COV} output channels, and each invocation ${PIX} pixels × ${4 * COV} channels: ${PIX * COV} vec4 accumulators`);
    expect(text).toContain(`Per tap an invocation does ${PIX} x loads, ${COV} vec4 weight loads and ${4 * PIX * COV} multiply-adds: 1/${(4 * PIX * COV) / (PIX + COV)} of a load`);
    const conv1 = convShape([8, 3, 227, 227], [96, 3, 11, 11], { stride: 4 });
    const t = fitWgrad(conv1);
    const r = 3 * 11 * 11;
    expect(text).toContain(`conv1 has R = ${r} taps, which become ${Math.ceil(r / (t.WG * t.TAPS))} blocks of ${t.TAPS} taps × ${t.WG} invocations instead of ${CONV_TUNING.wgrad.TAPS} × ${CONV_TUNING.wgrad.WG}`);
  });

  it('02, 05: the pinned GEMM, the register block, the tile', () => {
    expect(text).toContain(`the GEMM is always \`matmul/${IM2COL_GEMM}.wgsl\``);
    const [tm, tn] = [wgslConst('matmul/02_register_blocked.wgsl', 'TM'), wgslConst('matmul/02_register_blocked.wgsl', 'TN')];
    expect(text).toContain(`a ${tm}×${tn} block of outputs: per step of K it loads ${tm} values of W and ${tn} of col and does ${tm * tn} multiply-adds, ${(tm + tn) / (tm * tn)} loads per multiply-add`);
    const [bm, bn] = [wgslConst('matmul/05_tiled.wgsl', 'BM'), wgslConst('matmul/05_tiled.wgsl', 'BN')];
    const [wx, wy] = wgslWorkgroupSize('matmul/05_tiled.wgsl') as [number, number];
    expect(text).toContain(`${bm}×${bn} tiles and ${bm / wy}×${bn / wx} outputs per invocation`);
    expect(text).toContain(`at least 64 tiles of ${bm}×${bn}`);
    // the rule: 64 tiles take the GPU path, 63 do not
    const tiles = (n: number, h: number, w: number) => convShape([n, 4, h, w], [128, 4, 1, 1]);
    expect(ruleConv2d(tiles(2, 64, 64), fake(false)).version).toBe('05_tiled_gemm');
    expect(ruleConv2d(tiles(1, 84, 96), fake(false)).version).not.toBe('05_tiled_gemm');
  });

  it('04: tile sizes, multiplies, the space-to-depth form of conv1, the selection thresholds', () => {
    const [m3, m5] = [winogradTileFor(3), winogradTileFor(5)];
    expect(text).toContain(`takes α = ${winogradMaxAlpha(3)} for 3×3 filters, F(${m3}×${m3}, 3×3): ${(m3 + 2) ** 2} multiplies per tile and channel pair instead of ${m3 * m3 * 9}; and α = ${winogradMaxAlpha(5)} for 5×5, F(${m5}×${m5}, 5×5): ${(m5 + 4) ** 2} instead of ${m5 * m5 * 25}`);
    const saving = (s: ConvShape) => winogradSaving(s.kh, s.kw, s.oh, s.ow).toFixed(1);
    expect(text).toContain(`it does ${saving(LAYERS.conv3!)}× (conv3–5) to ${saving(LAYERS.conv2!)}× (conv2) fewer multiplies there`);
    const c1 = LAYERS.conv1!;
    const e = s2dShape(c1) as ConvShape;
    const viaS2d = (e.c * e.kh * e.kw) / winogradSaving(e.kh, e.kw, e.oh, e.ow);
    expect(text).toContain(`becomes ${e.c} channels of ${e.kh}×${e.kw} taps, ${e.c * e.kh * e.kw} taps instead of ${c1.c * c1.kh * c1.kw} (the filter is padded to ${e.kh * c1.sh}×${e.kw * c1.sw}), which F(4×4, 3×3) computes with about ${Math.round(viaS2d)} multiplies per output: ${((c1.c * c1.kh * c1.kw) / viaS2d).toFixed(2)}× fewer`);
    // at least 16 input and output channels per group
    const chans = (c: number) => ruleConv2d(convShape([8, c, 13, 13], [64, c, 3, 3], { padding: 1 }), fake(true)).version;
    expect([chans(15), chans(16)]).toEqual(['03_implicit_gemm', '06_winograd_gemm']);
    expect(text).toContain('at least 16 input and 16 output channels per group');
    expect(CONV_TUNING.im2colBytes).toBe(64 * 2 ** 20);
    expect(CONV_TUNING.gemmColBytes).toBe(2 ** 30);
    expect(text).toContain('(64 MiB; the GPU path 1 GiB,');
  });
});

describe('conv docs: rung 06 and matmul 08, 09 as the code has them', () => {
  const text = doc.replace(/\s+/g, ' ');
  it('08, 09: the block, texel loads per multiply-add, against 03\'s buffer loads', () => {
    const rb = wgslConst('matmul/08_image_operands.wgsl', 'RB');
    expect(wgslConst('matmul/09_subgroup_broadcast.wgsl', 'RB')).toBe(rb);
    // 8 lanes per group; 4 vec4 columns per lane in 08, 2 in 09 (the lines the figure relies on too)
    expect(() => wgslHas('matmul/08_image_operands.wgsl', 'let colv = ((wid.x * SG_N + sg % SG_N) * 8u + lane) * 4u;   // this lane\'s first vec4 column')).not.toThrow();
    expect(() => wgslHas('matmul/09_subgroup_broadcast.wgsl', 'let colv = ((wid.x * SG_N + sg % SG_N) * 8u + lane) * 2u;   // this lane\'s first vec4 column')).not.toThrow();
    const rows = 8 * rb;
    const fmas08 = rows * 16 * 4; // rows x 16 columns x 4 steps of k
    const fmas09 = rows * 8 * 4;
    expect(text).toContain(`each invocation owns ${rows} rows × 16 columns of C (4 vec4; 8 rows when the GEMM has no more)`);
    const rbFor = (m: number) => MATMUL_LAUNCH['08_image_operands'](fullGemm({ m, n: 256, k: 256, batch: 1 })).constants.RB;
    expect([rbFor(8), rbFor(9)]).toEqual([1, rb]);
    expect(text).toContain(`Per 4 steps of k an invocation loads ${rows} texels of A and 16 of B and does ${fmas08} multiply-adds: one load per ${Math.round(fmas08 / (rows + 16))} multiply-adds`);
    expect(text).toContain(`per 4 steps of k that is ${rb} texels of A and 8 of B for ${fmas09} multiply-adds: one load per ${Math.round(fmas09 / (rb + 8))}.`);
    const { PIX, COV } = CONV_TUNING.forward;
    expect(text).toContain(`Rung 03 does 1/${(4 * PIX * COV) / (PIX + COV)} of a load per multiply-add`);
    expect(() => wgslHas('matmul/08_image_operands.wgsl', 'not a line of it')).toThrow(/no longer has the line/);
  });

  it('06: conv3\'s batched GEMM, and who gets rung 06 rather than 04', () => {
    const s = { ...LAYERS.conv3!, n: 8 };
    const f = winogradFor(s.kh, s.oh);
    const tiles = Math.ceil(s.oh / f.m) * Math.ceil(s.ow / f.m);
    const xi = f.alpha * f.alpha;
    expect(text).toContain(`For conv3 at batch 8 that is ${xi} products of ${s.k}×${s.c} by ${s.c}×${colsFor(s.n, tiles)} (${tiles} tiles per image, ${s.n} images)`);
    // the GEMM's K must be whole texels: channels per group a multiple of 4
    const pick = (c: number) => ruleConv2d(convShape([8, c, 13, 13], [64, c, 3, 3], { padding: 1 }), fake(true)).version;
    expect([pick(18), pick(20)]).toEqual(['04_winograd', '06_winograd_gemm']);
    expect(text).toContain('as `06_winograd_gemm` when its GEMM\'s K is a multiple of 4');
    const e = s2dShape(LAYERS.conv1!) as ConvShape;
    expect(e.c % 4).toBe(0);
    expect(text).toContain(`a stride-1 convolution of ${e.c} channels of ${e.kh}×${e.kw} taps, a multiple of 4`);
    expect(ruleConv2d({ ...LAYERS.conv1!, n: 8 }, fake(true)).version).toBe('06_winograd_gemm_s2d');
  });
});

describe('conv docs and the kernel lab link to each other', () => {
  it('every version the lab runs has a section of docs/conv2d.md, which exists', () => {
    for (const v of conv2dVersions()) {
      const h = CONV_DOC_SECTIONS[v.name];
      expect(h, `the lab has no doc section for ${v.name}`).toBeDefined();
      expect(docSection(doc, h!), `no heading "${h}" in ${DOC}`).toMatch(new RegExp(`\`${v.name}\``));
    }
    for (const v of matmulVersions()) {
      const h = MATMUL_DOC_SECTIONS[v.name];
      expect(h, `the lab has no doc section for matmul ${v.name}`).toBeDefined();
      expect(docSection(doc, h!), `no heading "${h}" in ${DOC}, or it does not name ${v.name}`).toContain(`\`${v.name}\``);
    }
    const anchors = new Set(headings(doc).map((h) => h.anchor));
    for (const h of [...Object.values(CONV_DOC_SECTIONS), ...Object.values(MATMUL_DOC_SECTIONS)]) expect(anchors.has(docAnchor(h)), h).toBe(true);
  });

  it('every rung section links to the lab, with a layer the lab has', () => {
    const labLinks = [...doc.matchAll(/\(http:\/\/127\.0\.0\.1:8080\/#lab=(\w+)\)/g)].map((m) => m[1]!);
    expect(labLinks.length).toBeGreaterThan(0);
    for (const l of labLinks) expect(ALEXNET_CONV[l], `#lab=${l}`).toBeDefined();
    for (const h of headings(doc).filter((x) => /^Rung \d\d/.test(x.text))) {
      const sec = docSection(doc, h.text)!;
      expect(sec, `${h.text}: no link to the kernel lab`).toMatch(/\(http:\/\/127\.0\.0\.1:8080\/#lab=\w+\)/);
      expect(sec, `${h.text}: no benchmark command`).toMatch(/`node dist\/bench\/conv2d-cli\.js --versions /);
    }
    expect(doc).toContain('npm run alexnet -- serve');
  });
});

describe('src/kernels/wgsl/conv2d/README.md says what the kernels are', () => {
  const dir = 'src/kernels/wgsl/conv2d';
  const text = read(`${dir}/README.md`);
  const files = readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.wgsl')).sort();
  const fields = (f: string) => (/struct Params \{([^}]*)\}/.exec(read(`${dir}/${f}`))?.[1] ?? '').split(/[,\n]/).map((x) => x.trim().split(':')[0]!).filter(Boolean);
  const SIZES = ['n', 'c', 'h', 'w', 'k', 'oh', 'ow', 'groups', 'kh', 'kw', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'x_off'];

  it('names every kernel file of the folder', () => {
    expect(files.filter((f) => !text.includes(`\`${f}\``))).toEqual([]);
  });

  it('lists exactly the kernels that share the convolution-size uniform block', () => {
    const claim = /share one\s+uniform block[\s\S]*?:\s*([\s\S]*?), so those can be read/.exec(text)![1]!;
    const globs = [...claim.matchAll(/`([^`]+\.wgsl)`/g)].map((m) => new RegExp(`^${m[1]!.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`));
    const claimed = files.filter((f) => globs.some((g) => g.test(f)));
    const actual = files.filter((f) => SIZES.every((s, i) => fields(f)[i] === s));
    expect(claimed).toEqual(actual);
    expect(actual.length).toBeGreaterThan(4);
    expect(actual.length).toBeLessThan(files.length);
  });

  it('puts each rung\'s conv2d kernels under that rung\'s heading', () => {
    for (const v of conv2dVersions()) {
      const rung = v.name.slice(0, 2);
      const sec = docSection(text, (/^## (0\d — .*)$/m.exec(text.split('\n').filter((l) => l.startsWith(`## ${rung} `)).join('\n')) ?? [])[1] ?? '') ?? '';
      for (const f of v.wgsl.filter((x) => x.startsWith('conv2d/'))) expect(sec, `${v.pass} ${v.name}: ${f}`).toContain(f.slice(7));
    }
  });
});
