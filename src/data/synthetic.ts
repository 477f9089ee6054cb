// SPDX-License-Identifier: MIT
// The demo's synthetic two-class images, drawn in memory: "circles" (one to three filled discs)
// and "stripes" (parallel bands at a random angle), both with random colours, positions, sizes,
// a random background gradient and pixel noise. Pure, so the Node demo (which writes them as
// PNG/JPEG files, src/node/demo.ts) and the browser app draw the same images from the same seeds.
import { mulberry32 } from '../tensor/rng.js';

export const SYNTHETIC_CLASSES = ['circles', 'stripes'] as const;

/** The seed of the k-th image (k from 1) of a set generated with `seed`. */
export function syntheticImageSeed(seed: number, k: number): number {
  return (Math.imul(seed, 0x9e3779b1) + Math.imul(k, 0x85ebca6b)) >>> 0;
}

type RGB = [number, number, number];

function randomColour(r: () => number): RGB {
  return [Math.floor(r() * 256), Math.floor(r() * 256), Math.floor(r() * 256)];
}

/** Foreground colour far enough from the background to be visible. */
function contrasting(r: () => number, bg: RGB): RGB {
  for (;;) {
    const c = randomColour(r);
    const d = Math.abs(c[0] - bg[0]) + Math.abs(c[1] - bg[1]) + Math.abs(c[2] - bg[2]);
    if (d > 180) return c;
  }
}

/** RGBA pixels of one image of class `label` (0 circles, 1 stripes). */
export function drawSynthetic(label: number, size: number, seed: number): Uint8Array {
  const r = mulberry32(seed);
  const bgA = randomColour(r);
  const bgB = randomColour(r).map((v, i) => (v + 3 * bgA[i]!) / 4) as RGB;
  const fg = contrasting(r, bgA);
  const fg2 = contrasting(r, bgA);
  const gradAngle = r() * Math.PI * 2;
  const noise = 8 + r() * 20;
  const inside: (x: number, y: number) => number = (() => {
    if (label === 0) {
      const discs = Array.from({ length: 1 + Math.floor(r() * 3) }, () => {
        const radius = size * (0.1 + r() * 0.22);
        return { cx: radius + r() * (size - 2 * radius), cy: radius + r() * (size - 2 * radius), radius, colour: r() < 0.5 ? 1 : 2 };
      });
      return (x, y) => {
        for (const d of discs) if ((x - d.cx) ** 2 + (y - d.cy) ** 2 <= d.radius ** 2) return d.colour;
        return 0;
      };
    }
    const angle = r() * Math.PI;
    const period = size * (0.12 + r() * 0.2);
    const duty = 0.35 + r() * 0.3;
    const phase = r() * period;
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    // stripes cover a random band of the image, not always all of it
    const x0 = r() * size * 0.3;
    const x1 = size - r() * size * 0.3;
    const y0 = r() * size * 0.3;
    const y1 = size - r() * size * 0.3;
    return (x, y) => {
      if (x < x0 || x > x1 || y < y0 || y > y1) return 0;
      const t = (((x * c + y * s + phase) % period) + period) % period;
      return t < duty * period ? 1 : 0;
    };
  })();
  const out = new Uint8Array(size * size * 4);
  const gc = Math.cos(gradAngle);
  const gs = Math.sin(gradAngle);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = 0.5 + ((x / size - 0.5) * gc + (y / size - 0.5) * gs);
      const which = inside(x + 0.5, y + 0.5);
      const o = (y * size + x) * 4;
      for (let ch = 0; ch < 3; ch++) {
        const base = which === 1 ? fg[ch]! : which === 2 ? fg2[ch]! : bgA[ch]! * (1 - t) + bgB[ch]! * t;
        const v = base + (r() - 0.5) * 2 * noise;
        out[o + ch] = Math.max(0, Math.min(255, Math.round(v)));
      }
      out[o + 3] = 255;
    }
  }
  return out;
}
