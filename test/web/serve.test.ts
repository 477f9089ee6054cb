// `alexnet serve`'s static server: files under the folder, 404 outside it, loopback only.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveStatic } from '../../src/node/serve.js';

describe('serveStatic', () => {
  it('serves index.html and scripts with their types; nothing outside the folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serve-'));
    writeFileSync(join(dir, 'index.html'), '<p>hi</p>');
    writeFileSync(join(dir, 'app.js'), 'export {}');
    const { server, url } = await serveStatic(dir, 0);
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const index = await fetch(url);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toMatch(/text\/html/);
      expect(await index.text()).toBe('<p>hi</p>');
      const js = await fetch(url + 'app.js');
      expect(js.headers.get('content-type')).toMatch(/text\/javascript/);
      expect((await fetch(url + '..%2f..%2fetc%2fpasswd')).status).toBe(404);
      expect((await fetch(url + 'missing.js')).status).toBe(404);
    } finally {
      server.close();
    }
  });
});
