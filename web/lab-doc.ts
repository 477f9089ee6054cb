// SPDX-License-Identifier: MIT
// The kernel lab's way back to the text: the section of docs/conv2d.md that explains each
// version it runs, cut out of the doc (which the web build embeds as text). The docs test
// (test/docs/references.test.ts) checks that every version has a section here and that each
// heading exists in the doc.

export const DOC_PATH = 'docs/conv2d.md';

/** The heading of each conv2d rung's section in docs/conv2d.md, by version name. */
export const CONV_DOC_SECTIONS: Record<string, string> = {
  '01_naive': 'Rung 01: direct convolution',
  '02_im2col': 'Rung 02: im2col, then one GEMM',
  '03_implicit_gemm': 'Rung 03: implicit GEMM',
  '04_winograd': 'Rung 04: fewer multiplies, Winograd',
  '04_winograd_s2d': '04_winograd_s2d: strided convolutions by space-to-depth',
  '05_tiled_gemm': 'Rung 05: the GPU tile',
};
/** The matmul versions are explained where rung 05 introduces the GEMM ladder underneath. */
export const MATMUL_DOC_SECTION = 'Rung 05: the GPU tile';

/** The heading for a lab row: a conv2d version, or a matmul version (pass 'matmul'). */
export function docHeading(version: string, pass: string): string | null {
  return pass === 'matmul' ? MATMUL_DOC_SECTION : CONV_DOC_SECTIONS[version] ?? null;
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
