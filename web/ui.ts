// SPDX-License-Identifier: MIT
// Small DOM helpers shared by the tabs.
export function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el;
}

/** Sets body[data-<key>] (the tests wait on these: data-gpu, data-train, data-predict, data-lab). */
export function setState(key: string, value: string): void {
  document.body.dataset[key] = value;
}

/** The adapter's name, or what we know when the browser hides it (Firefox). */
export function adapterLabel(d: { describe(): string; info: { isCpu: boolean } }): string {
  const name = d.describe() || 'WebGPU adapter (the browser hides its name)';
  return d.info.isCpu ? `${name}, a CPU (fallback) adapter` : name;
}
