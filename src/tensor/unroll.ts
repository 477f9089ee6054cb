// SPDX-License-Identifier: MIT
// Loop unrolling before compilation, for the loops a kernel marks with `// @unroll`:
//
//   for (var a = 0u; a < AY; a++) {  // @unroll
//     body
//   }
//
// becomes, for AY = 3 (the pipeline's override value, or the override's default),
//
//   { let a = 0u; body } { let a = 1u; body } { let a = 2u; body }
//
// Why: the Winograd transforms index small private arrays (a tile) by their loop counters.
// Unrolled, every index is a constant and the arrays live in registers; left as loops, a CPU
// driver reaches them through per-lane gathers from memory. Dawn's compiler (Tint) emits
// loops that Mesa unrolls itself; Firefox's (naga) adds a guard counter to every loop, so
// that no loop can run forever, and with it Mesa unrolls none of them: the transforms ran
// 1.6-2.9x slower there. Expanded here, both browsers and Node compile the same straight code.
// The marked loop must count from 0 by 1 to a bound that is an integer, an override or a sum
// or product of those, and its body must not `break`, `continue` or change the counter.

const HEADER = /for \(var (\w+) = 0u; \1 < ([^;]+); \1\+\+\) \{[ \t]*\/\/ @unroll[^\n]*\n/;

/** The value of an override or integer expression: literals, names in `values`, + - * and parentheses. */
function evaluate(expr: string, values: Record<string, number>): number {
  const tokens = expr.match(/\d+[ui]?|\w+|[()+\-*]/g) ?? [];
  let i = 0;
  const atom = (): number => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`@unroll: the bound '${expr}' ends early`);
    if (t === '(') {
      const v = sum();
      if (tokens[i++] !== ')') throw new Error(`@unroll: unbalanced parentheses in '${expr}'`);
      return v;
    }
    if (/^\d/.test(t)) return parseInt(t, 10);
    const v = values[t];
    if (v === undefined) throw new Error(`@unroll: the bound '${expr}' names '${t}', which is no override with a value`);
    return v;
  };
  const product = (): number => {
    let v = atom();
    while (tokens[i] === '*') {
      i++;
      v *= atom();
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (tokens[i] === '+' || tokens[i] === '-') {
      const op = tokens[i++];
      v = op === '+' ? v + product() : v - product();
    }
    return v;
  };
  const v = sum();
  if (i !== tokens.length) throw new Error(`@unroll: cannot read the bound '${expr}'`);
  return v;
}

/** Index just past the `}` that closes the block whose body starts at `start` (comments skipped). */
function closeOf(code: string, start: number): number {
  let depth = 1;
  for (let i = start; i < code.length; i++) {
    const c = code[i];
    if (c === '/' && code[i + 1] === '/') {
      i = code.indexOf('\n', i);
      if (i < 0) break;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  throw new Error('@unroll: a marked loop is not closed');
}

/** The code with every `// @unroll` loop expanded, using `constants` and the overrides' defaults. */
export function unrollWgsl(code: string, constants: Record<string, number>): string {
  if (!code.includes('@unroll')) return code;
  const values: Record<string, number> = {};
  for (const m of code.matchAll(/override (\w+)\s*:\s*\w+\s*=\s*(\d+)[ui]?\s*;/g)) values[m[1]!] = Number(m[2]);
  for (const m of code.matchAll(/const (\w+)\s*(?::\s*\w+)?\s*=\s*(\d+)[ui]?\s*;/g)) values[m[1]!] = Number(m[2]);
  Object.assign(values, constants);
  let out = code;
  for (let guard = 0; guard < 10000; guard++) {
    const m = HEADER.exec(out);
    if (!m) return out;
    const [header, name, bound] = m;
    const bodyStart = m.index + header.length;
    const end = closeOf(out, bodyStart);
    const body = out.slice(bodyStart, end - 1);
    if (/\b(break|continue)\b/.test(body.replace(/\/\/[^\n]*/g, ''))) {
      throw new Error(`@unroll: the loop over '${name}' has a break or continue`);
    }
    const n = evaluate(bound!, values);
    if (!(n >= 0 && n <= 256)) throw new Error(`@unroll: the loop over '${name}' would run ${n} times`);
    const copies = Array.from({ length: n }, (_, k) => `{ let ${name} = ${k}u;\n${body}}`);
    out = out.slice(0, m.index) + copies.join(' ') + out.slice(end);
  }
  throw new Error('@unroll: too many loops to expand');
}
