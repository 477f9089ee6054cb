// Reading the docs the way the docs tests check them: fenced blocks with their language and
// line, the block that follows each one, and the headings with the anchors GitHub gives them
// (the kernel lab's own docAnchor, so the lab's links are checked with the same function).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docAnchor } from '../../web/lab-doc.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const read = (rel: string): string => readFileSync(join(ROOT, rel), 'utf8');

export interface Fence {
  lang: string;
  body: string;
  /** 1-based line of the opening fence */
  line: number;
  /** the next fenced block when only blank lines separate them (an example's output) */
  next?: Fence;
}

/** Every fenced block of a markdown text, in order. */
export function fences(md: string): Fence[] {
  const lines = md.split('\n');
  const out: Array<Fence & { end: number }> = [];
  let open: { lang: string; line: number; body: string[] } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (open) {
      if (l.startsWith('```')) {
        out.push({ lang: open.lang, body: open.body.join('\n'), line: open.line, end: i });
        open = null;
      } else open.body.push(l);
    } else {
      const m = /^```(\S*)\s*$/.exec(l);
      if (m) open = { lang: m[1]!, line: i + 1, body: [] };
    }
  }
  // a block's `next` is the block right after it, when only blank lines come between
  for (let i = 0; i + 1 < out.length; i++) {
    const a = out[i]!;
    const b = out[i + 1]!;
    if (lines.slice(a.end + 1, b.line - 1).every((l) => l.trim() === '')) a.next = b;
  }
  return out;
}

/** The headings of a markdown text (outside fenced blocks): level, text, anchor (as GitHub makes them). */
export function headings(md: string): Array<{ level: number; text: string; anchor: string }> {
  const out: Array<{ level: number; text: string; anchor: string }> = [];
  let inFence = false;
  for (const l of md.split('\n')) {
    if (l.startsWith('```')) inFence = !inFence;
    const m = !inFence && /^(#{1,6})\s+(.*)$/.exec(l);
    if (m) out.push({ level: m[1]!.length, text: m[2]!, anchor: docAnchor(m[2]!) });
  }
  return out;
}
