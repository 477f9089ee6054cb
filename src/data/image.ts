// A decoded image as every edge hands it to the core: 8-bit RGB, row-major, no alpha.
// Node decodes files with jpeg-js/pngjs (src/node/data/decode.ts); a browser with its own decoders.

export interface RgbImage {
  width: number;
  height: number;
  /** width * height * 3 bytes, R G B per pixel, rows top to bottom. */
  data: Uint8Array;
}
