// Random resized crop with torchvision's RandomResizedCrop semantics: a crop covering a random
// fraction of the image area (`scale`) with a random aspect ratio (`ratio`, drawn log-uniformly),
// at most 10 tries, else a centre crop clamped to the ratio range; the crop is then stretched to
// the output size. Returned as the affine map from output pixel to source position.
import type { Affine } from './transform.js';

export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image's. Default [0.08, 1] (torchvision's). */
  scale?: readonly [number, number];
  /** Range of the crop's width / height, drawn log-uniformly. Default [3/4, 4/3]. */
  ratio?: readonly [number, number];
}

/** `[top, left, height, width]` of the crop in pixels. */
export type CropBox = readonly [number, number, number, number];

export function checkRandomResizedCrop(o: RandomResizedCropOptions): void {
  const [s0, s1] = o.scale ?? [0.08, 1];
  const [r0, r1] = o.ratio ?? [3 / 4, 4 / 3];
  if (!(s0 > 0 && s1 >= s0 && s1 <= 1)) throw new Error(`randomResizedCrop.scale must give 0 < lo <= hi <= 1, got [${s0}, ${s1}]`);
  if (!(r0 > 0 && r1 >= r0)) throw new Error(`randomResizedCrop.ratio must give 0 < lo <= hi, got [${r0}, ${r1}]`);
}

/** torchvision's `RandomResizedCrop.get_params` for an h x w image (`rng` gives [0, 1)). */
export function randomCropBox(rng: () => number, o: RandomResizedCropOptions, h: number, w: number): CropBox {
  const [s0, s1] = o.scale ?? [0.08, 1];
  const [r0, r1] = o.ratio ?? [3 / 4, 4 / 3];
  const area = h * w;
  const [l0, l1] = [Math.log(r0), Math.log(r1)];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (s0 + (s1 - s0) * rng());
    const aspect = Math.exp(l0 + (l1 - l0) * rng());
    const cw = Math.round(Math.sqrt(target * aspect));
    const ch = Math.round(Math.sqrt(target / aspect));
    if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
      const top = Math.floor(rng() * (h - ch + 1));
      const left = Math.floor(rng() * (w - cw + 1));
      return [top, left, ch, cw];
    }
  }
  // Fallback: the whole image, cut down to the nearest allowed aspect ratio, centred.
  const inRatio = w / h;
  let cw = w;
  let ch = h;
  if (inRatio < r0) ch = Math.round(w / r0);
  else if (inRatio > r1) cw = Math.round(h * r1);
  return [Math.floor((h - ch) / 2), Math.floor((w - cw) / 2), ch, cw];
}

/** The map that stretches the crop `box` of the source to outH x outW (half-pixel centres). */
export function cropResizeAffine(box: CropBox, outH: number, outW: number): Affine {
  const [top, left, ch, cw] = box;
  const sy = ch / outH;
  const sx = cw / outW;
  return [sy, 0, top + 0.5 * sy - 0.5, 0, sx, left + 0.5 * sx - 0.5];
}
