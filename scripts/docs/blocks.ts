// SPDX-License-Identifier: MIT
// The generated blocks of docs/conv2d.md: text between
//   <!-- begin generated: NAME -->  and  <!-- end generated: NAME -->
// is drawn by this file from the code (the selectors' rules, the ladder's listing) and from
// the measured data in docs/data/. `npm run docs` rewrites them; test/docs/examples.test.ts
// fails while one differs from what this file draws today.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Device } from '../../src/tensor/device.js';
import {
  CONV_LADDER, conv2dVersions, ruleConv2d, ruleConv2dBackwardData, ruleConv2dBackwardWeight, s2dShape, type ConvShape,
} from '../../src/tensor/ops/conv2d/index.js';
import { caption, checkMeasured, CONV_TABLES, convTable, LAYERS, matmulTable, rungRows, type Measured } from './measured.js';

/** Stand-ins for the two kinds of adapter the selectors tell apart (sizes from BENCHMARKS.md's
 *  devices: lavapipe runs subgroups of 8, one per SIMD register; NVIDIA's are 32 wide). */
const LAVAPIPE = { info: { isCpu: true }, features: { subgroups: true, subgroupSize: 8 }, maxBinding: 128 * 2 ** 20, alignment: 256 } as unknown as Device;
const GPU = { info: { isCpu: false }, features: { subgroups: true, subgroupSize: 32 }, maxBinding: 2 ** 31, alignment: 256 } as unknown as Device;
export const WHERE = [
  { name: 'lavapipe (a CPU driver)', device: LAVAPIPE, batch: 8 },
  { name: 'a GPU (the H100)', device: GPU, batch: 128 },
] as const;

const at = (s: ConvShape, n: number): ConvShape => ({ ...s, n });
/** The rungs built from other ops: space-to-depth, then a stride-1 rung (autograd runs its gradients). */
const S2D_RUNGS = ['04_winograd_s2d'];

/** What a training step runs for each pass of a layer on a device: the rung, or why none. */
export function stepRungs(s: ConvShape, device: Device): Record<'forward' | 'dgrad' | 'wgrad', string> {
  const fwd = ruleConv2d(s, device).version;
  const dgrad = ruleConv2dBackwardData(s, device).version;
  if (CONV_LADDER[fwd].forward?.build) {
    // a forward built from other ops: autograd runs the gradients of the ops it is made of
    if (!S2D_RUNGS.includes(fwd)) throw new Error(`docs: no rule for the gradients of the built rung ${fwd}`);
    const e = s2dShape(s) as ConvShape;
    return {
      forward: `\`${fwd}\``,
      dgrad: `(\`${ruleConv2dBackwardData(e, device).version}\` on the space-to-depth form)`,
      wgrad: `\`${ruleConv2dBackwardWeight(e, device).version}\` on the space-to-depth form (autograd)`,
    };
  }
  return { forward: `\`${fwd}\``, dgrad: `\`${dgrad}\``, wgrad: `\`${ruleConv2dBackwardWeight(s, device).version}\`` };
}

/** The table "what runs where": each AlexNet conv layer and pass, the rung each adapter's rule picks. */
export function whatRunsWhere(): string {
  const out = [
    `| layer | pass | ${WHERE.map((w) => `${w.name}, batch ${w.batch}`).join(' | ')} |`,
    `|---|---|${WHERE.map(() => '---').join('|')}|`,
  ];
  for (const [layer, s] of Object.entries(LAYERS)) {
    const picks = WHERE.map((w) => stepRungs(at(s, w.batch), w.device));
    for (const pass of ['forward', 'dgrad', 'wgrad'] as const) {
      const skip = layer === 'conv1' && pass === 'dgrad' ? ' (not run in training: the image needs no gradient)' : '';
      out.push(`| ${pass === 'forward' ? layer : ''} | ${pass}${skip} | ${picks.map((p) => p[pass]).join(' | ')} |`);
    }
  }
  return out.join('\n');
}

/** Every docs/data/measured-*.json, checked, lavapipe first. */
export function loadMeasured(root: string): Measured[] {
  const dir = join(root, 'docs', 'data');
  return readdirSync(dir).filter((f) => /^measured-.*\.json$/.test(f)).sort()
    .map((f) => checkMeasured(JSON.parse(readFileSync(join(dir, f), 'utf8')), `docs/data/${f}`))
    .sort((a, b) => (a.device === 'lavapipe' ? -1 : b.device === 'lavapipe' ? 1 : a.device.localeCompare(b.device)));
}

/** The full measured ladder: per device, the conv tables and the matmul table. */
export function ladderTables(all: readonly Measured[]): string {
  const out: string[] = [];
  for (const m of all) {
    out.push(`#### ${m.device}`, '', caption(m), '');
    for (const t of CONV_TABLES) out.push(`conv2d, ${t.title}:`, '', convTable(m, t), '');
    out.push('matmul (`npm run bench -- matmul`), every version on a square GEMM and on a batch-8 fc layer\'s data gradient:', '', matmulTable(m), '');
  }
  return out.join('\n').trimEnd();
}

/** Every generated block of docs/conv2d.md, by name. */
export function generatedBlocks(root: string): Record<string, string> {
  const all = loadMeasured(root);
  const blocks: Record<string, string> = { 'what-runs-where': whatRunsWhere(), ladder: ladderTables(all) };
  for (const name of new Set(conv2dVersions().map((v) => v.name))) blocks[`measured ${name}`] = rungRows(all, name);
  return blocks;
}

const BLOCK = /<!-- begin generated: ([^>]+?) -->\n([\s\S]*?)<!-- end generated: \1 -->/g;

/** The generated blocks a document has, by name, with their text. */
export function blocksIn(doc: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of doc.matchAll(BLOCK)) out[m[1]!] = m[2]!.replace(/\n$/, '');
  return out;
}

/** The document with each generated block redrawn; throws naming a block the document lacks or one that is unknown. */
export function fillBlocks(doc: string, blocks: Record<string, string>, file: string): string {
  const have = Object.keys(blocksIn(doc));
  const missing = Object.keys(blocks).filter((k) => !have.includes(k));
  const unknown = have.filter((k) => !(k in blocks));
  if (missing.length || unknown.length) {
    throw new Error(`${file}: generated blocks ${missing.length ? `missing: ${missing.join(', ')}` : ''}${missing.length && unknown.length ? '; ' : ''}${unknown.length ? `unknown: ${unknown.join(', ')}` : ''}`);
  }
  return doc.replace(BLOCK, (_all, name: string) => `<!-- begin generated: ${name} -->\n${blocks[name]}\n<!-- end generated: ${name} -->`);
}
