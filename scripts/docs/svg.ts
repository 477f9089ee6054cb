// SPDX-License-Identifier: MIT
// A few SVG primitives for the docs' figures (scripts/docs/figures.ts): text in, text out,
// no dependency. Every number is rounded to 0.1 so that a figure's text does not depend on
// floating-point noise, and the output is byte-for-byte the same on every machine.

const r = (v: number): string => String(Math.round(v * 10) / 10);
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Colours that stay apart on a white page and in grey: cycled by index. */
export const PALETTE = [
  '#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#9c755f',
  '#86bcb6', '#ff9d9a', '#8cd17d', '#a0cbe8', '#ffbe7d', '#d4a6c8', '#f1ce63', '#bab0ac',
];
export const colour = (i: number): string => PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length]!;

export interface RectStyle {
  fill?: string;
  stroke?: string;
  width?: number;
  opacity?: number;
  dash?: boolean;
}

/** An SVG document under construction. */
export class Svg {
  private parts: string[] = [];

  constructor(readonly width: number, readonly height: number, readonly title: string) {}

  rect(x: number, y: number, w: number, h: number, s: RectStyle = {}): this {
    const attrs = [`x="${r(x)}"`, `y="${r(y)}"`, `width="${r(w)}"`, `height="${r(h)}"`, `fill="${s.fill ?? 'none'}"`];
    if (s.stroke) attrs.push(`stroke="${s.stroke}"`, `stroke-width="${r(s.width ?? 1)}"`);
    if (s.opacity !== undefined) attrs.push(`fill-opacity="${r(s.opacity)}"`);
    if (s.dash) attrs.push('stroke-dasharray="4 3"');
    this.parts.push(`<rect ${attrs.join(' ')}/>`);
    return this;
  }

  line(x1: number, y1: number, x2: number, y2: number, stroke = '#333', width = 1): this {
    this.parts.push(`<line x1="${r(x1)}" y1="${r(y1)}" x2="${r(x2)}" y2="${r(y2)}" stroke="${stroke}" stroke-width="${r(width)}"/>`);
    return this;
  }

  /** Text; `anchor` start / middle / end, `size` in px. */
  text(x: number, y: number, s: string, o: { size?: number; anchor?: 'start' | 'middle' | 'end'; bold?: boolean; fill?: string } = {}): this {
    const attrs = [`x="${r(x)}"`, `y="${r(y)}"`, `font-size="${o.size ?? 12}"`];
    if (o.anchor && o.anchor !== 'start') attrs.push(`text-anchor="${o.anchor}"`);
    if (o.bold) attrs.push('font-weight="bold"');
    if (o.fill) attrs.push(`fill="${o.fill}"`);
    this.parts.push(`<text ${attrs.join(' ')}>${esc(s)}</text>`);
    return this;
  }

  /** A grid of `rows` x `cols` cells of `cell` px at (x, y), each filled by `fill(row, col)` (null: empty). */
  grid(x: number, y: number, rows: number, cols: number, cell: number, fill: (row: number, col: number) => string | null, stroke = '#999'): this {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const f = fill(i, j);
        this.rect(x + j * cell, y + i * cell, cell, cell, { fill: f ?? '#fff', stroke, width: 0.5 });
      }
    }
    return this;
  }

  /** The finished document: a white background, a <title>, and a sans-serif font. */
  toString(): string {
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${r(this.width)}" height="${r(this.height)}" viewBox="0 0 ${r(this.width)} ${r(this.height)}" font-family="sans-serif">`,
      `<title>${esc(this.title)}</title>`,
      `<rect x="0" y="0" width="${r(this.width)}" height="${r(this.height)}" fill="#fff"/>`,
      ...this.parts,
      '</svg>',
      '',
    ].join('\n');
  }
}
