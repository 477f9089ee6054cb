// SPDX-License-Identifier: MIT
// Training-curve plots as SVG and PNG, with no plotting library: one layout (ticks, legend,
// pixel coordinates) drawn by two back ends, an SVG writer and a tiny RGBA rasteriser with an
// embedded 5×7 bitmap font, encoded by pngjs. Train curves are solid, validation dashed.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { PNG } from 'pngjs';

import { metricAlias } from '../train/callbacks.js';
import { formatFixed } from '../train/progress.js';
import { writeFileAtomic } from './atomic.js';

/** A `History` or anything shaped like it (0-based `epoch`, one array per metric). */
export interface HistoryLike {
  epoch: readonly number[];
  history: Readonly<Record<string, readonly number[]>>;
}

export interface PlotOptions {
  /** Metrics to draw; names starting with `val_` are drawn dashed. */
  metrics: string[];
  /** Defaults to the first metric's name without `val_`. */
  title?: string;
  width?: number;
  height?: number;
}

type RGB = readonly [number, number, number];

const PALETTE: readonly RGB[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
];
const AXIS: RGB = [51, 51, 51];
const GRID: RGB = [225, 225, 225];
const LEGEND_BORDER: RGB = [190, 190, 190];
/** Dash and gap lengths in pixels, shared by SVG and PNG. */
const DASH = [8, 5] as const;
/** The PNG font is drawn at scale 2: 10×14 pixel glyphs, 12 pixels apart. */
const FONT_SCALE = 2;
const CHAR_ADVANCE = 6 * FONT_SCALE;
const CHAR_HEIGHT = 7 * FONT_SCALE;

interface Point {
  x: number;
  y: number;
}

interface Tick {
  at: number;
  label: string;
}

interface Series {
  name: string;
  color: RGB;
  dashed: boolean;
  /** Runs of consecutive finite values: NaN (diverged or missing) breaks the curve. */
  runs: Point[][];
}

interface Layout {
  width: number;
  height: number;
  title: string;
  box: { left: number; top: number; right: number; bottom: number };
  xTicks: Tick[];
  yTicks: Tick[];
  series: Series[];
  legend: { x: number; y: number; width: number; height: number };
}

/** Tick spacing of 1, 2 or 5 × 10^k giving roughly `target` intervals over `span`. */
function niceStep(span: number, target: number): number {
  const raw = span / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const steps = [1, 2, 5, 10].map((m) => m * magnitude);
  return steps.find((s) => s >= raw) ?? 10 * magnitude;
}

/** Ticks covering [lo, hi] on multiples of a nice step; the axis then spans the outer ticks. */
function niceTicks(lo: number, hi: number, target: number): { ticks: number[]; labels: string[] } {
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) {
    // A flat curve still needs a visible range around it.
    const pad = Math.abs(lo) * 0.1 || 1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, target);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(i * step);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  // Snap the zero tick so that it never prints as "-0.0".
  const labels = ticks.map((t) => formatFixed(Math.abs(t) < step * 1e-6 ? 0 : t, decimals));
  return { ticks, labels };
}

function findSeries(history: HistoryLike, name: string): readonly number[] {
  const key = [name, metricAlias(name)].find((k) => k !== undefined && Object.hasOwn(history.history, k));
  const values = key === undefined ? undefined : history.history[key];
  if (values === undefined) {
    const available = Object.keys(history.history).join(', ') || '(none)';
    throw new Error(`plotHistory: metric '${name}' not found; available: ${available}`);
  }
  return values;
}

function layout(history: HistoryLike, options: PlotOptions): Layout {
  const width = options.width ?? 800;
  const height = options.height ?? 500;
  if (options.metrics.length === 0) throw new Error('plotHistory: no metrics to plot');
  const data = options.metrics.map((name) => ({ name, values: findSeries(history, name) }));
  const epochs = history.epoch.map((e) => e + 1);
  const finite = data.flatMap((d) => d.values.filter(Number.isFinite));

  // With nothing finite to show (a run that diverged at once) the axes still get drawn.
  const y = finite.length > 0 ? niceTicks(Math.min(...finite), Math.max(...finite), 5) : niceTicks(0, 1, 5);
  const yLabels = y.labels;
  const firstEpoch = Math.min(...epochs, 1);
  const lastEpoch = Math.max(...epochs, firstEpoch + 1);
  const xStep = Math.max(1, Math.ceil(niceStep(lastEpoch - firstEpoch, 8)));
  const xTickValues: number[] = [];
  for (let e = Math.ceil(firstEpoch / xStep) * xStep; e <= lastEpoch; e += xStep) xTickValues.push(e);
  // Label where training started too (epoch 1), unless it would crowd the next tick.
  if (xTickValues[0] === undefined || xTickValues[0] - firstEpoch >= xStep / 2) xTickValues.unshift(firstEpoch);

  const left = 24 + Math.max(...yLabels.map((l) => l.length)) * CHAR_ADVANCE;
  const box = { left, top: 56, right: width - 24, bottom: height - 64 };
  const yLo = y.ticks[0]!;
  const yHi = y.ticks[y.ticks.length - 1]!;
  const px = (e: number): number => box.left + ((e - firstEpoch) / (lastEpoch - firstEpoch)) * (box.right - box.left);
  const py = (v: number): number => box.bottom - ((v - yLo) / (yHi - yLo)) * (box.bottom - box.top);

  const series: Series[] = data.map(({ name, values }, i) => {
    const runs: Point[][] = [];
    let run: Point[] = [];
    values.forEach((v, j) => {
      const epoch = epochs[j];
      if (Number.isFinite(v) && epoch !== undefined) run.push({ x: px(epoch), y: py(v) });
      else if (run.length > 0) {
        runs.push(run);
        run = [];
      }
    });
    if (run.length > 0) runs.push(run);
    return { name, color: PALETTE[i % PALETTE.length]!, dashed: name.startsWith('val_'), runs };
  });

  // The legend goes in the top corner unless the curves end up there (rising accuracy).
  const legendWidth = 56 + Math.max(...options.metrics.map((m) => m.length)) * CHAR_ADVANCE;
  const legendHeight = 12 + options.metrics.length * 24;
  const ends = series.flatMap((s) => s.runs.at(-1)?.slice(-1) ?? []);
  const endsHigh = ends.filter((p) => p.y < (box.top + box.bottom) / 2).length > ends.length / 2;
  const legend = {
    x: box.right - 10 - legendWidth,
    y: endsHigh ? box.bottom - 10 - legendHeight : box.top + 10,
    width: legendWidth,
    height: legendHeight,
  };

  return {
    width,
    height,
    title: options.title ?? options.metrics[0]!.replace(/^val_/, ''),
    box,
    xTicks: xTickValues.map((e) => ({ at: px(e), label: String(e) })),
    yTicks: y.ticks.map((t, i) => ({ at: py(t), label: yLabels[i]! })),
    series,
    legend,
  };
}

// ---------------------------------------------------------------------------------------- SVG

function hex([r, g, b]: RGB): string {
  return `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const r1 = (v: number): string => String(Math.round(v * 10) / 10);

/** The training curves of `options.metrics` as a standalone SVG document. */
export function plotHistorySvg(history: HistoryLike, options: PlotOptions): string {
  const L = layout(history, options);
  const { box } = L;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${L.height}" ` +
      `viewBox="0 0 ${L.width} ${L.height}" font-family="sans-serif" font-size="14">`,
    `<rect width="${L.width}" height="${L.height}" fill="#ffffff"/>`,
    `<text x="${r1(L.width / 2)}" y="34" text-anchor="middle" font-size="20">${escapeXml(L.title)}</text>`,
  ];
  for (const t of L.yTicks) {
    out.push(`<line x1="${box.left}" y1="${r1(t.at)}" x2="${box.right}" y2="${r1(t.at)}" stroke="${hex(GRID)}"/>`);
    out.push(`<text x="${box.left - 8}" y="${r1(t.at + 5)}" text-anchor="end">${escapeXml(t.label)}</text>`);
  }
  for (const t of L.xTicks) {
    out.push(`<line x1="${r1(t.at)}" y1="${box.bottom}" x2="${r1(t.at)}" y2="${box.bottom + 6}" stroke="${hex(AXIS)}"/>`);
    out.push(`<text x="${r1(t.at)}" y="${box.bottom + 24}" text-anchor="middle">${t.label}</text>`);
  }
  out.push(
    `<path d="M${box.left} ${box.top}V${box.bottom}H${box.right}" fill="none" stroke="${hex(AXIS)}" stroke-width="1.5"/>`,
    `<text x="${r1((box.left + box.right) / 2)}" y="${L.height - 16}" text-anchor="middle">epoch</text>`,
  );
  for (const s of L.series) {
    const dash = s.dashed ? ` stroke-dasharray="${DASH.join(' ')}"` : '';
    for (const run of s.runs) {
      if (run.length === 1) {
        out.push(`<circle cx="${r1(run[0]!.x)}" cy="${r1(run[0]!.y)}" r="3" fill="${hex(s.color)}"/>`);
      } else {
        const points = run.map((p) => `${r1(p.x)},${r1(p.y)}`).join(' ');
        out.push(`<polyline points="${points}" fill="none" stroke="${hex(s.color)}" stroke-width="2"${dash}/>`);
      }
    }
  }
  const { legend } = L;
  out.push(
    `<rect x="${r1(legend.x)}" y="${r1(legend.y)}" width="${legend.width}" height="${legend.height}" ` +
      `fill="#ffffff" stroke="${hex(LEGEND_BORDER)}"/>`,
  );
  L.series.forEach((s, i) => {
    const y = legend.y + 18 + i * 24;
    const dash = s.dashed ? ` stroke-dasharray="${DASH.join(' ')}"` : '';
    out.push(
      `<line x1="${r1(legend.x + 8)}" y1="${r1(y)}" x2="${r1(legend.x + 40)}" y2="${r1(y)}" ` +
        `stroke="${hex(s.color)}" stroke-width="2"${dash}/>`,
      `<text x="${r1(legend.x + 48)}" y="${r1(y + 5)}">${escapeXml(s.name)}</text>`,
    );
  });
  out.push('</svg>', '');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------- PNG

/** 5×7 glyphs, one string of 7 rows per character. Lower case is drawn in capitals. */
const FONT: Record<string, string> = {
  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '##### ...#. ..#.. ...#. ....# #...# .###.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',
  A: '.###. #...# #...# ##### #...# #...# #...#',
  B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.',
  D: '###.. #..#. #...# #...# #...# #..#. ###..',
  E: '##### #.... #.... ####. #.... #.... #####',
  F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####',
  H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.',
  P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#',
  R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.',
  V: '#...# #...# #...# #...# #...# .#.#. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  Z: '##### ....# ...#. ..#.. .#... #.... #####',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  ',': '..... ..... ..... ..... .##.. ..#.. .#...',
  '-': '..... ..... ..... ##### ..... ..... .....',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
  _: '..... ..... ..... ..... ..... ..... #####',
  ':': '..... .##.. .##.. ..... .##.. .##.. .....',
  '/': '....# ....# ...#. ..#.. .#... #.... #....',
  '(': '...#. ..#.. .#... .#... .#... ..#.. ...#.',
  ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#...',
  '%': '##... ##..# ...#. ..#.. .#... #..## ...##',
  ' ': '..... ..... ..... ..... ..... ..... .....',
  '?': '.###. #...# ....# ...#. ..#.. ..... ..#..',
};

/** An RGBA image on white with alpha-blended, anti-aliased drawing. */
class Raster {
  readonly data: Buffer;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = Buffer.alloc(width * height * 4, 255);
  }

  private blend(x: number, y: number, color: RGB, alpha: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || alpha <= 0) return;
    const i = (y * this.width + x) * 4;
    const a = Math.min(1, alpha);
    for (let c = 0; c < 3; c++) this.data[i + c] = Math.round(this.data[i + c]! * (1 - a) + color[c]! * a);
  }

  fillRect(x: number, y: number, w: number, h: number, color: RGB): void {
    for (let j = Math.round(y); j < Math.round(y + h); j++) {
      for (let i = Math.round(x); i < Math.round(x + w); i++) this.blend(i, j, color, 1);
    }
  }

  /** A segment of the given thickness: each pixel is covered by its distance to the segment. */
  line(a: Point, b: Point, color: RGB, thickness: number): void {
    const half = thickness / 2;
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const length2 = dx * dx + dy * dy;
    const x0 = Math.floor(Math.min(a.x, b.x) - half - 1);
    const x1 = Math.ceil(Math.max(a.x, b.x) + half + 1);
    const y0 = Math.floor(Math.min(a.y, b.y) - half - 1);
    const y1 = Math.ceil(Math.max(a.y, b.y) + half + 1);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const cx = x + 0.5;
        const cy = y + 0.5;
        const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((cx - a.x) * dx + (cy - a.y) * dy) / length2));
        const distance = Math.hypot(cx - (a.x + t * dx), cy - (a.y + t * dy));
        this.blend(x, y, color, half + 0.5 - distance);
      }
    }
  }

  /** A polyline, optionally dashed with the pattern continuing across its corners. */
  polyline(points: Point[], color: RGB, thickness: number, dashed: boolean): void {
    if (points.length === 1) {
      this.line(points[0]!, points[0]!, color, 6);
      return;
    }
    let phase = 0; // distance into the current dash period
    const period = DASH[0] + DASH[1];
    for (let i = 1; i < points.length; i++) {
      const a = points[i - 1]!;
      const b = points[i]!;
      const length = Math.hypot(b.x - a.x, b.y - a.y);
      if (!dashed) {
        this.line(a, b, color, thickness);
        continue;
      }
      const at = (d: number): Point => ({ x: a.x + ((b.x - a.x) * d) / length, y: a.y + ((b.y - a.y) * d) / length });
      let d = 0;
      while (d < length) {
        const inDash = phase < DASH[0];
        const step = Math.min(length - d, (inDash ? DASH[0] : period) - phase);
        if (inDash) this.line(at(d), at(d + step), color, thickness);
        d += step;
        phase = (phase + step) % period;
      }
    }
  }

  /** Text in the bitmap font; `x` is the left, centre or right edge by `align`, `y` the top. */
  text(text: string, x: number, y: number, color: RGB, align: 'left' | 'center' | 'right' = 'left'): void {
    const width = text.length * CHAR_ADVANCE - FONT_SCALE;
    let left = Math.round(align === 'left' ? x : align === 'center' ? x - width / 2 : x - width);
    const top = Math.round(y);
    for (const char of text.toUpperCase()) {
      const rows = (FONT[char] ?? FONT['?']!).split(' ');
      rows.forEach((row, j) => {
        for (let i = 0; i < 5; i++) {
          if (row[i] === '#') this.fillRect(left + i * FONT_SCALE, top + j * FONT_SCALE, FONT_SCALE, FONT_SCALE, color);
        }
      });
      left += CHAR_ADVANCE;
    }
  }
}

/** The same plot as `plotHistorySvg`, rasterised and encoded as PNG. */
export function plotHistoryPng(history: HistoryLike, options: PlotOptions): Buffer {
  const L = layout(history, options);
  const { box } = L;
  const image = new Raster(L.width, L.height);
  image.text(L.title, L.width / 2, 20, AXIS, 'center');
  for (const t of L.yTicks) {
    image.fillRect(box.left, Math.round(t.at), box.right - box.left, 1, GRID);
    image.text(t.label, box.left - 8, t.at - CHAR_HEIGHT / 2, AXIS, 'right');
  }
  for (const t of L.xTicks) {
    image.fillRect(Math.round(t.at), box.bottom, 1, 6, AXIS);
    image.text(t.label, t.at, box.bottom + 12, AXIS, 'center');
  }
  image.fillRect(box.left - 1, box.top, 2, box.bottom - box.top + 1, AXIS);
  image.fillRect(box.left - 1, box.bottom, box.right - box.left + 1, 2, AXIS);
  image.text('epoch', (box.left + box.right) / 2, L.height - 28, AXIS, 'center');
  for (const s of L.series) {
    for (const run of s.runs) image.polyline(run, s.color, 2, s.dashed);
  }
  const { legend } = L;
  image.fillRect(legend.x, legend.y, legend.width, legend.height, LEGEND_BORDER);
  image.fillRect(legend.x + 1, legend.y + 1, legend.width - 2, legend.height - 2, [255, 255, 255]);
  L.series.forEach((s, i) => {
    const y = legend.y + 18 + i * 24;
    image.polyline([{ x: legend.x + 8, y }, { x: legend.x + 40, y }], s.color, 2, s.dashed);
    image.text(s.name, legend.x + 48, y - CHAR_HEIGHT / 2, AXIS);
  });
  const png = new PNG({ width: L.width, height: L.height });
  image.data.copy(png.data);
  return PNG.sync.write(png);
}

/**
 * Writes `loss.svg`/`loss.png` and, when accuracy was measured, `accuracy.svg`/`accuracy.png`
 * into `outDir` (created if needed), each atomically. Returns the paths written.
 */
export async function writeHistoryPlots(history: HistoryLike, outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const has = (name: string): boolean =>
    [name, metricAlias(name)].some((k) => k !== undefined && Object.hasOwn(history.history, k));
  const written: string[] = [];
  for (const base of ['loss', 'accuracy']) {
    const metrics = [base, `val_${base}`].filter(has);
    if (metrics.length === 0) continue;
    const options = { metrics, title: base };
    for (const [extension, render] of [
      ['svg', plotHistorySvg],
      ['png', plotHistoryPng],
    ] as const) {
      const path = join(outDir, `${base}.${extension}`);
      await writeFileAtomic(path, render(history, options));
      written.push(path);
    }
  }
  return written;
}
