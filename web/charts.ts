// SPDX-License-Identifier: MIT
// A small SVG line chart (no chart library): one polyline per series over the epochs.
const NS = 'http://www.w3.org/2000/svg';
const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];

export interface Series {
  name: string;
  values: number[];
}

export function drawChart(svg: SVGSVGElement, series: Series[], opts: { min?: number; max?: number } = {}): void {
  const W = 360;
  const H = 200;
  const L = 44;
  const B = 24;
  const T = 8;
  const R = 8;
  svg.replaceChildren();
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  let lo = opts.min ?? (all.length ? Math.min(...all) : 0);
  let hi = opts.max ?? (all.length ? Math.max(...all) : 1);
  if (hi - lo < 1e-9) {
    hi += 0.5;
    lo -= 0.5;
  }
  const x = (i: number) => L + (n === 1 ? (W - L - R) / 2 : (i / (n - 1)) * (W - L - R));
  const y = (v: number) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  const el = (name: string, attrs: Record<string, string | number>, text?: string) => {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    svg.appendChild(e);
    return e;
  };
  el('line', { x1: L, y1: T, x2: L, y2: H - B, stroke: '#888' });
  el('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#888' });
  for (const v of [lo, (lo + hi) / 2, hi]) {
    el('text', { x: L - 4, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 10 }, v.toPrecision(3));
    el('line', { x1: L, y1: y(v), x2: W - R, y2: y(v), stroke: '#eee' });
  }
  for (let i = 0; i < n; i++) el('text', { x: x(i), y: H - 8, 'text-anchor': 'middle', 'font-size': 10 }, String(i + 1));
  series.forEach((s, k) => {
    const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${x(i)},${y(v)}` : '')).filter(Boolean);
    const colour = COLOURS[k % COLOURS.length]!;
    if (pts.length > 1) el('polyline', { points: pts.join(' '), fill: 'none', stroke: colour, 'stroke-width': 2 });
    for (const p of pts) {
      const [cx, cy] = p.split(',');
      el('circle', { cx: cx!, cy: cy!, r: 2.5, fill: colour });
    }
    el('text', { x: L + 8 + k * 110, y: T + 12, fill: colour, 'font-size': 11 }, s.name);
  });
}
