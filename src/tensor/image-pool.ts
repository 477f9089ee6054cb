// SPDX-License-Identifier: MIT
// Operand images: a span of a storage buffer copied into an rgba32float storage texture, for
// the kernels that read their operands as images (matmul/08 and 09). On a CPU driver such
// as lavapipe an image load is a small vectorised routine while a buffer load is a loop over
// the SIMD lanes (src/kernels/wgsl/matmul/08_image_operands.wgsl says why). The texture
// holds the elements in memory order, 4 per texel: texel t at (t mod 2^shift, t >> shift),
// so a kernel addresses it with the buffer's own strides. Textures are pooled by size like
// buffers, so a warm training step creates none.

/** WebGPU's texture usage flags, written out (the core does not rely on browser globals). */
const TextureUsage = { COPY_DST: 0x02, STORAGE_BINDING: 0x08 } as const;

/** An operand image: bind `view`; pass `shift` (log2 of its width in texels) to the kernel. */
export interface OperandImage {
  texture: GPUTexture;
  view: GPUTextureView;
  shift: number;
}

/** Rows of the texture for `rows` needed: 8 steps per power of two, as the buffer pool rounds bytes. */
function bucketRows(rows: number): number {
  if (rows <= 8) return Math.max(1, rows);
  const top = 2 ** Math.ceil(Math.log2(rows));
  const step = top / 16;
  return Math.ceil(rows / step) * step;
}

export class ImagePool {
  private free = new Map<string, OperandImage[]>();
  texturesCreated = 0;
  /** bytes of every texture the pool owns, live or free */
  reservedBytes = 0;

  constructor(private readonly gpu: GPUDevice, private readonly maxDim: number) {}

  /** The width (as a shift) and height of the texture for `texels`, or a throw naming the limit. */
  shape(texels: number): { shift: number; rows: number } {
    let shift = 10; // 1024 texels = 16 KiB rows: a multiple of the 256 bytes a copy's row needs
    while (Math.ceil(texels / 2 ** shift) > this.maxDim && 2 ** (shift + 1) <= this.maxDim) shift++;
    const rows = Math.ceil(texels / 2 ** shift);
    if (rows > this.maxDim) {
      throw new Error(`an operand image of ${texels} texels needs ${rows} rows of ${2 ** shift}: more than this adapter's maxTextureDimension2D (${this.maxDim})`);
    }
    return { shift, rows };
  }

  acquire(texels: number): OperandImage {
    const { shift, rows } = this.shape(texels);
    const height = Math.min(this.maxDim, bucketRows(rows));
    const key = `${shift}x${height}`;
    const img = this.free.get(key)?.pop();
    if (img) return img;
    const texture = this.gpu.createTexture({
      size: [2 ** shift, height],
      format: 'rgba32float',
      usage: TextureUsage.STORAGE_BINDING | TextureUsage.COPY_DST,
    });
    this.texturesCreated++;
    this.reservedBytes += 2 ** shift * height * 16;
    return { texture, view: texture.createView(), shift };
  }

  release(img: OperandImage): void {
    const key = `${img.shift}x${img.texture.height}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(img);
  }

  /** Destroys every free texture; returns the bytes given back. */
  trim(): number {
    let n = 0;
    for (const list of this.free.values()) {
      for (const img of list) {
        n += img.texture.width * img.texture.height * 16;
        img.texture.destroy();
      }
    }
    this.free.clear();
    this.reservedBytes -= n;
    return n;
  }
}

/** Records the copy of `texels` texels of `buf` from `byteOffset` into `img`: whole rows, then the rest. */
export function copyIntoImage(encoder: GPUCommandEncoder, img: OperandImage, buf: GPUBuffer, byteOffset: number, texels: number): void {
  const width = 2 ** img.shift;
  const full = Math.floor(texels / width);
  const rest = texels - full * width;
  const bytesPerRow = width * 16;
  if (full > 0) encoder.copyBufferToTexture({ buffer: buf, offset: byteOffset, bytesPerRow, rowsPerImage: full }, { texture: img.texture }, [width, full, 1]);
  if (rest > 0) encoder.copyBufferToTexture({ buffer: buf, offset: byteOffset + full * bytesPerRow, bytesPerRow }, { texture: img.texture, origin: [0, full, 0] }, [rest, 1, 1]);
}
