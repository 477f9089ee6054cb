// SPDX-License-Identifier: MIT
// The order of class folders and files: Python's sorted() over str, which compares code points
// (Keras numbers the classes of image_dataset_from_directory in that order). JavaScript's `<`
// compares UTF-16 code units, which differs for characters outside the Basic Multilingual Plane:
// '\u{1F600}' is the pair D83D DE00, below U+FF5A as code units but above it as code points. Node
// (src/node/data, src/node/commands) and the browser (src/web/dataset.ts) both sort with these.

/**
 * Compares two strings by code points, as Python's `sorted()` does. The first code unit that
 * differs decides: a surrogate (D800-DFFF, half of a character above U+FFFF) is moved above
 * every other unit (E000-FFFF move down by 0x800), which puts the pairs after U+FFFF where their
 * code points are. (Node's readdir never gives a lone surrogate: invalid UTF-8 becomes U+FFFD.)
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fixup(x) - fixup(y);
  }
  return a.length - b.length;
}

function fixup(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit;
}

/**
 * Compares '/'-separated relative paths folder by folder, each name by code points: the order
 * of a recursive listing that sorts every folder's entries (`a/x` before `a b/x`, although ' '
 * is below '/'), which is how Node lists an image folder.
 */
export function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const c = compareCodePoints(pa[i]!, pb[i]!);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}
