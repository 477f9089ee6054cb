// SPDX-License-Identifier: MIT
// A terminal-like <pre>: fit()'s progress output (with '\r' redraws of the current line) goes in.
export function terminal(pre: HTMLElement): { write: (s: string) => void; clear: () => void; text: () => string } {
  let lines: string[] = [''];
  const render = () => {
    pre.textContent = lines.join('\n');
    pre.scrollTop = pre.scrollHeight;
  };
  return {
    write(s: string) {
      for (const part of s.split(/(\r|\n)/)) {
        if (part === '\n') lines.push('');
        else if (part === '\r') lines[lines.length - 1] = '';
        else lines[lines.length - 1] += part;
      }
      render();
    },
    clear() {
      lines = [''];
      render();
    },
    text: () => lines.join('\n'),
  };
}
