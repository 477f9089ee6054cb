// SPDX-License-Identifier: MIT
// The kernel lab's way back to the text: the section of docs/conv2d.md that explains each
// version it runs, cut out of the doc (which the web build embeds as text). The docs test
// (test/docs/references.test.ts) checks that every version has a section here and that each
// heading exists in the doc.

export const DOC_PATH = 'docs/conv2d.md';

const RUNG_05 = 'Rung 05: the GPU tile';
const RUNG_06 = 'Rung 06: Winograd as one batched GEMM, operands as images';

/** The heading of each conv2d rung's section in docs/conv2d.md, by version name. */
export const CONV_DOC_SECTIONS: Record<string, string> = {
  '01_naive': 'Rung 01: direct convolution',
  '02_im2col': 'Rung 02: im2col, then one GEMM',
  '03_implicit_gemm': 'Rung 03: implicit GEMM',
  '04_winograd': 'Rung 04: fewer multiplies, Winograd',
  '04_winograd_s2d': '04_winograd_s2d: strided convolutions by space-to-depth',
  '05_tiled_gemm': RUNG_05,
  '06_winograd_gemm': RUNG_06,
  '06_winograd_gemm_s2d': '06_winograd_gemm_s2d: conv1 the same way',
};
/** Where each matmul version is explained: 01-07 where rung 05 introduces the GEMM ladder
 *  underneath, 08 and 09 (a CPU driver's image kernels) in rung 06, which is built on them. */
export const MATMUL_DOC_SECTIONS: Record<string, string> = {
  '01_naive': RUNG_05,
  '02_register_blocked': RUNG_05,
  '03_vec4': RUNG_05,
  '04_splitk_dot': RUNG_05,
  '05_tiled': RUNG_05,
  '06_tiled_prefetch': RUNG_05,
  '07_row_stream': RUNG_05,
  '08_image_operands': RUNG_06,
  '09_subgroup_broadcast': RUNG_06,
};

/** The heading for a lab row: a conv2d version, or a matmul version (pass 'matmul'). */
export function docHeading(version: string, pass: string): string | null {
  return (pass === 'matmul' ? MATMUL_DOC_SECTIONS[version] : CONV_DOC_SECTIONS[version]) ?? null;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function docAnchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** The text of the section under `heading` (to the next heading of the same or a higher level), or null. */
export function docSection(md: string, heading: string): string | null {
  const lines = md.split('\n');
  const level = (l: string) => /^(#{1,6})\s/.exec(l)?.[1]!.length ?? 0;
  const start = lines.findIndex((l) => level(l) > 0 && l.replace(/^#+\s+/, '') === heading);
  if (start < 0) return null;
  let end = start + 1;
  let fence = false;
  for (; end < lines.length; end++) {
    if (lines[end]!.startsWith('```')) fence = !fence;
    const lv = fence ? 0 : level(lines[end]!);
    if (lv > 0 && lv <= level(lines[start]!)) break;
  }
  return lines.slice(start, end).join('\n').trimEnd();
}
