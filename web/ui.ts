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
