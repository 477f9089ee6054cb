import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PNG } from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { plotHistoryPng, plotHistorySvg, writeHistoryPlots } from '../../src/node/plot.js';
import { History } from '../../src/train/history.js';

function makeHistory(epochs: number): History {
  const history = new History();
  for (let e = 0; e < epochs; e++) {
    const loss = 0.7 * Math.exp(-e / 4) + 0.1;
    history.record(e, { loss, accuracy: 1 - loss, val_loss: loss + 0.05, val_accuracy: 0.95 - loss });
  }
  return history;
}

/** Checks that every tag is closed in order and that there is exactly one root `<svg>`. */
function expectWellFormed(svg: string): void {
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  const stack: string[] = [];
  let roots = 0;
  for (const [tag, close, name, selfClose] of svg.matchAll(/<(\/?)([a-z]+)\b[^>]*?(\/?)>/g)) {
    if (close) expect(stack.pop(), tag).toBe(name);
    else if (!selfClose) {
      if (stack.length === 0) roots += 1;
      stack.push(name!);
    }
  }
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
  // Text content never contains raw markup characters.
  for (const [, text] of svg.matchAll(/>([^<]*)</g)) expect(text).not.toMatch(/[<>]|&(?!#\d+;)/);
}

describe('plotHistorySvg', () => {
  it('draws a well-formed plot: solid train, dashed validation, 1-based epochs, legend', () => {
    const svg = plotHistorySvg(makeHistory(12), { metrics: ['loss', 'val_loss'], title: 'Loss <AlexNet & co>' });
    expectWellFormed(svg);
    const lines = [...svg.matchAll(/<polyline [^>]*>/g)].map(([l]) => l);
    expect(lines).toHaveLength(2);
    expect(lines[0]).not.toContain('stroke-dasharray');
    expect(lines[1]).toContain('stroke-dasharray="8 5"');
    expect(lines[0]!.match(/points="([^"]*)"/)![1]!.split(' ')).toHaveLength(12);
    const labels = [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map(([, t]) => t);
    expect(labels).toContain('Loss &#60;AlexNet &#38; co&#62;');
    expect(labels).toEqual(expect.arrayContaining(['1', '2', '4', '12', 'epoch', 'loss', 'val_loss']));
    expect(labels).not.toContain('0');
    // y ticks are nice round numbers covering the data (0.15 .. 0.85).
    expect(labels).toEqual(expect.arrayContaining(['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']));
  });

  it('accepts metric aliases and breaks curves at NaN, marking isolated points', () => {
    const history = new History();
    [0.5, 0.6, NaN, 0.7, NaN].forEach((acc, e) => history.record(e, { acc }));
    const svg = plotHistorySvg(history, { metrics: ['accuracy'] });
    expectWellFormed(svg);
    expect(svg.match(/<polyline /g)).toHaveLength(1);
    expect(svg.match(/<circle /g)).toHaveLength(1);
  });

  it('names the available metrics when one is missing', () => {
    expect(() => plotHistorySvg(makeHistory(2), { metrics: ['val_los'] })).toThrow(
      "plotHistory: metric 'val_los' not found; available: loss, accuracy, val_loss, val_accuracy",
    );
  });
});

describe('plotHistoryPng', () => {
  it('encodes a decodable image of the requested size with the curves and text drawn', () => {
    const png = PNG.sync.read(plotHistoryPng(makeHistory(1), { metrics: ['loss', 'val_loss'], width: 640, height: 400 }));
    expect([png.width, png.height]).toEqual([640, 400]);
    let ink = 0;
    let blue = 0;
    let orange = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
      if (r < 200 || g < 200 || b < 200) ink += 1;
      if (r === 31 && g === 119 && b === 180) blue += 1;
      if (r === 255 && g === 127 && b === 14) orange += 1;
    }
    expect(ink).toBeGreaterThan(2000); // axes, ticks, labels
    expect(blue).toBeGreaterThan(10); // a single epoch is drawn as a dot
    expect(orange).toBeGreaterThan(10);
  });
});

describe('writeHistoryPlots', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plot-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes loss and accuracy plots as SVG and PNG', async () => {
    const out = join(dir, 'plots');
    const written = await writeHistoryPlots(makeHistory(5), out);
    expect(written.map((p) => p.slice(out.length + 1))).toEqual(['loss.svg', 'loss.png', 'accuracy.svg', 'accuracy.png']);
    expect((await readdir(out)).sort()).toEqual(['accuracy.png', 'accuracy.svg', 'loss.png', 'loss.svg']);
    expectWellFormed(await readFile(join(out, 'accuracy.svg'), 'utf8'));
    expect(PNG.sync.read(await readFile(join(out, 'loss.png'))).width).toBe(800);
  });

  it('skips accuracy plots when accuracy was not measured', async () => {
    const history = new History();
    history.record(0, { loss: 1 });
    history.record(1, { loss: 0.5 });
    expect(await writeHistoryPlots(history, dir)).toEqual([join(dir, 'loss.svg'), join(dir, 'loss.png')]);
  });
});
