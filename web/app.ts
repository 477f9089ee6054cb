// SPDX-License-Identifier: MIT
// The web app's entry: a WebGPU device (or the message that says why not, in this browser), then
// the three tabs. The library is also put on `window.alexnet` (core and web edge) for the
// console and for the browser tests.
import * as core from '../src/index.js';
import * as web from '../src/web/index.js';
import { setupLab } from './lab.js';
import { ALEXNET_CONV } from './lab-run.js';
import { setupPredict } from './predict.js';
import { setupTrain } from './train.js';
import { $, adapterLabel, setState } from './ui.js';

const tabs = ['train', 'predict', 'lab'] as const;
for (const b of document.querySelectorAll<HTMLButtonElement>('nav button')) {
  b.addEventListener('click', () => {
    for (const t of tabs) $(`tab-${t}`).hidden = t !== b.dataset.tab;
    for (const o of document.querySelectorAll('nav button')) o.classList.toggle('active', o === b);
  });
}
// #lab (or #lab=conv3, from docs/conv2d.md) opens the kernel lab
if (/^#lab\b/.test(location.hash)) document.querySelector<HTMLButtonElement>('nav button[data-tab="lab"]')?.click();

async function main(): Promise<void> {
  (globalThis as Record<string, unknown>).alexnet = { ...core, web };
  let device: core.Device;
  try {
    device = await web.createWebDevice();
  } catch (e) {
    const box = $('gpu-error');
    box.textContent = (e as Error).message;
    box.hidden = false;
    $('adapter').textContent = 'no WebGPU';
    for (const b of document.querySelectorAll<HTMLButtonElement>('main button')) b.disabled = true;
    setState('gpu', 'unavailable');
    return;
  }
  $('adapter').textContent = adapterLabel(device);
  const train = setupTrain(new URL('decode-worker.js', import.meta.url));
  const predict = setupPredict(train);
  const lab = setupLab();
  (globalThis as Record<string, unknown>).app = { train, predict, lab, labShapes: { ALEXNET_CONV } };
  setState('gpu', 'ready');
}

void main();
