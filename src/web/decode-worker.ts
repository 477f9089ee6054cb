// SPDX-License-Identifier: MIT
// A Web Worker that decodes image files off the page's thread: post {id, blob}, get back
// {id, image} (the RGB bytes transferred, not copied) or {id, error}. Bundled as its own entry
// (dist/web/decode-worker.js); `decodeImages` in dataset.ts starts a few of them.
import { decodeImage } from './decode.js';

interface Request {
  id: number;
  blob: Blob;
  name: string;
}

const scope = self as unknown as {
  onmessage: ((ev: MessageEvent<Request>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};

scope.onmessage = async (ev) => {
  const { id, blob, name } = ev.data;
  try {
    const image = await decodeImage(blob, name);
    scope.postMessage({ id, image }, [image.data.buffer]);
  } catch (e) {
    scope.postMessage({ id, error: (e as Error).message });
  }
};
