// SPDX-License-Identifier: MIT
// Paths printed to a terminal. A file may be named `x\e[2J.jpg` or `a\nb.jpg`: printed raw, the
// escape sequence runs in the user's terminal (terminal escape injection) and the newline forges
// an output line. Every path the commands print (predictions, warnings, errors, the summary) goes
// through `quotePath`: an ordinary name comes out as it is, one with a control character comes
// out quoted, every such character escaped.

/**
 * What a terminal may act on: C0 controls and DEL, C1 controls (U+0080-U+009F: U+009B is CSI in
 * 8-bit terminals), the line and paragraph separators, and the bidirectional controls that
 * reorder what is shown (U+200E/F, U+202A-U+202E, U+2066-U+2069), lone surrogates aside.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  switch (c) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default:
      return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
  }
}

/** Whether `s` has a character a terminal would act on (see UNSAFE). */
export function hasControlCharacters(s: string): boolean {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(s);
}

/**
 * A path for printing: unchanged when it has no control character (so ordinary output stays as
 * it was), otherwise in double quotes with `\`, `"` and every control character escaped as in
 * JSON (`"x\u001b[2J.jpg"`, `"a\nb.jpg"`), so nothing reaches the terminal raw and the name can
 * be read back.
 */
export function quotePath(path: string): string {
  if (!hasControlCharacters(path)) return path;
  return '"' + path.replace(/["\\]/g, (c) => '\\' + c).replace(UNSAFE, escapeChar) + '"';
}

/** Any text (a whole message): control characters escaped in place, line breaks kept when `keepNewlines`. */
export function escapeControls(text: string, keepNewlines = false): string {
  return text.replace(UNSAFE, (c) => (keepNewlines && c === '\n' ? c : escapeChar(c)));
}

/** JSON.stringify, with the characters it leaves raw that a terminal acts on (DEL, C1, bidi) escaped too: still valid JSON, same value. */
export function safeJson(value: unknown, space?: number): string {
  // JSON.stringify escapes C0 controls inside strings: a raw one in its output is its own layout
  return JSON.stringify(value, null, space).replace(/[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, escapeChar);
}
