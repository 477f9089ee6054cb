// SPDX-License-Identifier: MIT
// The Predict tab: the model just trained or a loaded checkpoint (from this page or from
// `alexnet train`), an image picked, dropped or taken with the webcam, its classes ranked.
import type { RgbImage } from '../src/index.js';
import { bitmapToRgb, decodeImage, loadCheckpointFile, predictImage } from '../src/web/index.js';
import type { TrainedModel, TrainTab } from './train.js';
import { $, setState } from './ui.js';

export interface PredictTab {
  /** the model predictions use now */
  current(): TrainedModel | undefined;
  /** runs a prediction (the tests call it with a decoded image) */
  predict(img: RgbImage): Promise<{ class: string; probability: number }[]>;
}

export function setupPredict(train: TrainTab): PredictTab {
  let current: TrainedModel | undefined;
  const label = $('predict-model');
  const use = (m: TrainedModel, from: string) => {
    current = m;
    label.textContent = `${from}: AlexNet '${m.meta.preset}', ${m.meta.inputSize} px, classes ${m.meta.classNames.join(', ')}`;
    label.classList.remove('muted');
  };
  train.onModel((m) => use(m, 'the model just trained'));

  const show = async (img: RgbImage) => {
    const canvas = $('predict-preview') as HTMLCanvasElement;
    const ctx = canvas.getContext('2d')!;
    const rgba = new Uint8ClampedArray(img.width * img.height * 4);
    for (let i = 0; i < img.width * img.height; i++) {
      rgba.set(img.data.subarray(3 * i, 3 * i + 3), 4 * i);
      rgba[4 * i + 3] = 255;
    }
    const bmp = await createImageBitmap(new ImageData(rgba, img.width, img.height));
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(bmp, 0, 0, canvas.width, canvas.height);
    bmp.close();
  };

  const predict = async (img: RgbImage) => {
    if (!current) throw new Error('no model: train one or load a checkpoint first');
    setState('predict', 'running');
    const p = await predictImage(current.model, current.meta, img);
    const table = $('predict-table');
    table.replaceChildren();
    for (const r of p.ranked) {
      const tr = document.createElement('tr');
      tr.innerHTML = `<td class="name"></td><td>${(100 * r.probability).toFixed(1)}%</td><td class="name"><span class="bar" style="width:${Math.round(150 * r.probability)}px"></span></td>`;
      tr.firstElementChild!.textContent = r.class;
      table.appendChild(tr);
    }
    setState('predict', 'done');
    return p.ranked;
  };

  const fromBlob = async (blob: Blob) => {
    try {
      const img = await decodeImage(blob);
      await show(img);
      await predict(img);
    } catch (e) {
      $('predict-table').textContent = `error: ${(e as Error).message}`;
      setState('predict', 'error');
    }
  };

  $('checkpoint-file').addEventListener('change', async (ev) => {
    const file = (ev.target as HTMLInputElement).files?.[0];
    if (!file) return;
    try {
      const loaded = await loadCheckpointFile(file);
      // a previously loaded checkpoint's model is ours to free; the trained one belongs to the Train tab
      if (current && current.model !== train.current()?.model) current.model.dispose();
      use({ model: loaded.model as TrainedModel['model'], meta: loaded.meta }, file.name);
      setState('checkpoint', 'loaded');
    } catch (e) {
      label.textContent = `error: ${(e as Error).message}`;
      setState('checkpoint', 'error');
    }
  });
  $('image-file').addEventListener('change', (ev) => {
    const file = (ev.target as HTMLInputElement).files?.[0];
    if (file) void fromBlob(file);
  });
  const drop = $('predict-drop');
  drop.addEventListener('dragover', (ev) => ev.preventDefault());
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    const file = ev.dataTransfer?.files[0];
    if (file) void fromBlob(file);
  });

  const video = $('webcam-video') as HTMLVideoElement;
  $('webcam').addEventListener('click', async () => {
    try {
      if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser (or a non-secure page) offers no camera');
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
      video.hidden = false;
      $('snap').hidden = false;
    } catch (e) {
      $('predict-table').textContent = `webcam: ${(e as Error).message}`;
    }
  });
  $('snap').addEventListener('click', async () => {
    const img = bitmapToRgb(video, video.videoWidth, video.videoHeight);
    await show(img);
    await predict(img).catch((e: Error) => ($('predict-table').textContent = `error: ${e.message}`));
  });

  return { current: () => current, predict };
}
