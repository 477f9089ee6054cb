// The house rules of src/ (scripts/check-imports.mjs): no import cycle between files apart
// from the listed backward rules that need each other, no file over 450 lines apart from the
// listed ones, each with its reason, and no import against the layers (LAYERS).

import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs script without type declarations
import { checkHouse, runtimeImports } from '../../scripts/check-imports.mjs';

describe('house rules', () => {
  it('src/ has no new import cycle, no new file over the line limit, no import against the layers', () => {
    const r = checkHouse() as { files: number; edges: number; problems: string[] };
    expect(r.problems).toEqual([]);
    expect(r.files).toBeGreaterThan(50);
  });

  it('counts runtime imports, re-exports and import(); not type-only ones', () => {
    const text = [
      "import { a, type B } from './a.js';",
      "import type { C } from './c.js';",
      "import { type D, type E } from './d.js';",
      "export { f } from './f.js';",
      "export type { G } from './g.js';",
      "import './side-effect.js';",
      "const m = await import('./lazy.js');",
      "import { readFileSync } from 'node:fs';",
    ].join('\n');
    expect(runtimeImports(text)).toEqual(['./a.js', './f.js', './side-effect.js', './lazy.js']);
  });
});
