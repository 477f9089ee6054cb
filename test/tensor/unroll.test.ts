// The host's loop unrolling for `// @unroll` loops (src/tensor/unroll.ts): what it expands,
// with which bound, and what it refuses. Pure text; the kernels that use it are tested
// against their float64 references elsewhere.
import { describe, expect, it } from 'vitest';
import { unrollWgsl } from '../../src/tensor/unroll.js';
import { WGSL } from '../../src/kernels/wgsl.generated.js';

describe('unrollWgsl', () => {
  it('leaves code without a marked loop alone', () => {
    const code = 'fn f() { for (var i = 0u; i < 4u; i++) { g(i); } }';
    expect(unrollWgsl(code, {})).toBe(code);
  });

  it('expands a marked loop into one block per value of its counter, nested loops too', () => {
    const code = [
      'override AY: u32 = 3u;',
      'fn f() {',
      '  for (var a = 0u; a < AY; a++) {  // @unroll',
      '    for (var b = 0u; b < 2u; b++) {  // @unroll',
      '      g(a, b);',
      '    }',
      '  }',
      '}',
    ].join('\n');
    const out = unrollWgsl(code, {});
    expect(out).not.toMatch(/for \(/);
    expect(out.match(/g\(a, b\)/g)).toHaveLength(6);
    expect(out.match(/let a = \du;/g)).toEqual(['let a = 0u;', 'let a = 1u;', 'let a = 2u;']);
    expect(out.match(/let b = \du;/g)).toHaveLength(6);
    // a pipeline constant wins over the default
    expect(unrollWgsl(code, { AY: 5 }).match(/g\(a, b\)/g)).toHaveLength(10);
  });

  it('reads bounds made of integers, overrides and consts with + - * and parentheses', () => {
    const loop = (bound: string) => `override RB: u32 = 2u;\nconst W = 3u;\nfor (var r = 0u; r < ${bound}; r++) {  // @unroll\n  h(r);\n}\n`;
    const count = (bound: string, c: Record<string, number> = {}) => unrollWgsl(loop(bound), c).match(/h\(r\)/g)?.length ?? 0;
    expect(count('8u * RB')).toBe(16);
    expect(count('8u * RB', { RB: 1 })).toBe(8);
    expect(count('(W + 1u) * RB - 2u')).toBe(6);
    expect(count('0u')).toBe(0);
  });

  it('refuses what it cannot expand, naming the loop or the bound', () => {
    const loop = (bound: string, body = 'h(r);') => `for (var r = 0u; r < ${bound}; r++) {  // @unroll\n  ${body}\n}\n`;
    expect(() => unrollWgsl(loop('N'), {})).toThrow(/bound 'N' names 'N', which is no override with a value/);
    expect(() => unrollWgsl(loop('4u', 'if (x) { break; }'), {})).toThrow(/loop over 'r' has a break or continue/);
    expect(() => unrollWgsl(loop('4u', 'continue;'), {})).toThrow(/break or continue/);
    expect(() => unrollWgsl(loop('1000u'), {})).toThrow(/would run 1000 times/);
    expect(() => unrollWgsl('for (var r = 0u; r < 4u; r++) {  // @unroll\n  h(r);\n', {})).toThrow(/not closed/);
  });

  it('expands every marked kernel into code without a marked loop', () => {
    const marked = Object.entries(WGSL).filter(([, code]) => code.includes('// @unroll'));
    expect(marked.length).toBeGreaterThanOrEqual(5);
    // a pool's geometry has no defaults: the host always passes it (3x3 windows at stride 2)
    const given: Record<string, Record<string, number>> = { 'pool/max_backward_blocked.wgsl': { SH: 2, SW: 2, NY: 2, NX: 2 } };
    for (const [name, code] of marked) {
      const out = unrollWgsl(code, given[name] ?? {});
      expect(out, name).not.toMatch(/\{[ \t]*\/\/ @unroll/);
    }
  });
});
