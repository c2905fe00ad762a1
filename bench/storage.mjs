// Two choices of the bounded-memory issue, measured in the browser rather than
// argued:
//  - originals: Cache Storage (what the app uses) against the Origin Private
//    File System, writing and reading back the same real JPEGs;
//  - the thumbnail cache: ImageBitmaps (what the app uses) against object URLs
//    of encoded thumbnails shown by <img>, making, showing and holding the
//    same thumbnails, and what each costs the browser's processes (RSS).
// Both run in a page of the app's own origin (a secure context, as the app
// is), in a browser profile on disk, so the storage quota is a user's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumArgs, sleep, round } from './lib.mjs';
import { browserRss } from './memory.mjs';

const MB = 1024 * 1024;

async function withPage(app, fn) {
  const profile = mkdtempSync(join(tmpdir(), 'collector-storage-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', args: chromiumArgs, headless: true, viewport: { width: 1280, height: 900 },
  });
  try {
    const page = await context.newPage();
    // A document of the app's origin without the app running in it (a small
    // static file of the build, shown as text), emptied.
    await page.goto(`${app.url}/worker_loader.js`);
    await page.evaluate(() => { document.body.replaceChildren(); });
    return await fn(page);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Writes then reads back `urls`' bytes with each store; ms and MB/s for each. */
export async function originalsRun(app, urls) {
  return withPage(app, (page) => page.evaluate(async (urls) => {
    const files = await Promise.all(urls.map(async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer())));
    const bytes = files.reduce((a, f) => a + f.length, 0);
    const key = (i) => `https://originals.invalid/bench-${i}`;
    const time = async (fn) => { const t = performance.now(); await fn(); return performance.now() - t; };
    const cache = await caches.open('bench-originals');
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle('bench-originals', { create: true });
    const stores = {
      cache_storage: {
        write: () => Promise.all(files.map((f, i) => cache.put(key(i), new Response(f, { headers: { 'content-type': 'image/jpeg' } })))),
        read: () => Promise.all(files.map(async (_, i) => (await (await cache.match(key(i))).arrayBuffer()).byteLength)),
      },
      opfs: {
        write: () => Promise.all(files.map(async (f, i) => {
          const w = await (await dir.getFileHandle(`bench-${i}`, { create: true })).createWritable();
          await w.write(f);
          await w.close();
        })),
        read: () => Promise.all(files.map(async (_, i) => (await (await (await dir.getFileHandle(`bench-${i}`)).getFile()).arrayBuffer()).byteLength)),
      },
    };
    const out = { n: files.length, mb: bytes / 2 ** 20 };
    for (const [name, s] of Object.entries(stores)) {
      const write = await time(s.write);
      const read = await time(s.read);
      out[name] = { write_ms: write, read_ms: read, write_mb_s: out.mb / (write / 1000), read_mb_s: out.mb / (read / 1000) };
    }
    await caches.delete('bench-originals');
    await root.removeEntry('bench-originals', { recursive: true });
    return out;
  }, urls));
}

/**
 * Makes `n` 256 px thumbnails (RGBA, as a worker hands them over) and shows
 * them each way: ImageBitmap drawn on a canvas (the app), and a PNG blob
 * behind an object URL in an <img>. Holds them all, then releases them
 * (close(), revokeObjectURL) — RSS of the browser's processes before, held
 * and after.
 */
export async function thumbsRun(app, n) {
  return withPage(app, async (page) => {
    const out = { n, side: 256 };
    for (const way of ['image_bitmap', 'object_url']) {
      await page.evaluate(() => { globalThis.gc?.(); });
      await sleep(1000);
      const before = browserRss();
      const made = await page.evaluate(async ({ n, way }) => {
        const side = 256;
        const pixels = (i) => {
          const d = new Uint8ClampedArray(side * side * 4);
          for (let p = 0; p < d.length; p += 4) {
            const x = (p / 4) % side;
            const y = Math.floor(p / 4 / side);
            d[p] = (x * 7 + i * 13) & 255; d[p + 1] = (y * 5 + i * 3) & 255; d[p + 2] = ((x ^ y) + i) & 255; d[p + 3] = 255;
          }
          return new ImageData(d, side, side);
        };
        const grid = document.createElement('div');
        grid.style.cssText = 'display:grid;grid-template-columns:repeat(8,64px);height:900px;overflow:hidden';
        document.body.append(grid);
        const held = [];
        let scratch = null;
        let makeMs = 0;
        for (let i = 0; i < n; i++) {
          const data = pixels(i); // not timed: a worker makes these
          const t = performance.now();
          if (way === 'image_bitmap') {
            const bitmap = await createImageBitmap(data);
            // On screen, the first 64 have a canvas each (a gallery's worth);
            // the rest are drawn once into one scratch canvas, as a tile that
            // scrolled past would have been.
            if (i < 64 || !scratch) {
              const c = document.createElement('canvas');
              c.width = side; c.height = side; c.style.width = '64px';
              grid.append(c);
              if (i >= 64) scratch = c;
              c.getContext('2d').drawImage(bitmap, 0, 0);
            } else scratch.getContext('2d').drawImage(bitmap, 0, 0);
            held.push(bitmap);
          } else {
            const oc = new OffscreenCanvas(side, side);
            oc.getContext('2d').putImageData(data, 0, 0);
            const url = URL.createObjectURL(await oc.convertToBlob({ type: 'image/png' }));
            const img = new Image(64, 64);
            img.src = url;
            await img.decode();
            if (i < 64) grid.append(img); // the rest are decoded once and let go, as a tile scrolled past
            held.push(url);
          }
          makeMs += performance.now() - t;
        }
        globalThis.__held = held;
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        return { make_ms_each: makeMs / n };
      }, { n, way });
      await sleep(1500);
      const held = browserRss();
      await page.evaluate((way) => {
        for (const h of globalThis.__held) way === 'image_bitmap' ? h.close() : URL.revokeObjectURL(h);
        globalThis.__held = null;
        document.body.replaceChildren();
        globalThis.gc?.();
      }, way);
      await sleep(1500);
      const after = browserRss();
      out[way] = {
        make_ms_each: round(made.make_ms_each, 2),
        held_rss_mb: round((held - before) / MB, 0),
        after_release_rss_mb: round((after - before) / MB, 0),
      };
    }
    return out;
  });
}
