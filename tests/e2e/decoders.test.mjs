// The decode paths (issue 13): thumbnails come from the browser's own
// ImageDecoder in the workers, and the other paths stand in for it.
// - The corpus's images, collected through ImageDecoder and through the
//   wasm decoder (the image crate), give the same thumbnails within a small
//   mean pixel difference, and the rotated ones come out portrait in both.
// - With ImageDecoder deleted from the workers' global scope (as in a
//   browser without it), a collection completes through the stand-ins with
//   the same counts, and the alert log says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appAndBrowser, startProcess, startSource, statusReaches, counts } from './harness.mjs';

const env = appAndBrowser();
const GOOD = 12;
// Shorter deadlines than the defaults, so the corpus's endless body ends quickly.
const BASE = { header_timeout_s: 3, body_timeout_s: 3 };

/**
 * Every collected tile of the (virtualized) gallery, scrolling it top to
 * bottom: its key, the decoder that made it, its size and its RGBA pixels
 * (base64). Failed tiles come back with their state only.
 */
async function tilePixels(page) {
  const seen = new Map();
  await page.evaluate(() => window.scrollTo(0, 0));
  for (;;) {
    await page.waitForFunction(() => {
      const h = window.innerHeight;
      return [...document.querySelectorAll('[data-testid=thumb][data-state=collected]')]
        .filter((t) => { const r = t.getBoundingClientRect(); return r.bottom > 0 && r.top < h; })
        .every((t) => t.dataset.drawn === 'true');
    }, null, { timeout: 30_000, polling: 50 });
    const batch = await page.$$eval('[data-testid=thumb]', (all) => all.map((t) => {
      const out = { key: t.dataset.key, state: t.dataset.state, decoder: t.dataset.decoder ?? null };
      const c = t.querySelector('canvas');
      if (c && t.dataset.drawn === 'true') {
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let s = '';
        for (let i = 0; i < data.length; i += 8192) s += String.fromCharCode(...data.subarray(i, i + 8192));
        Object.assign(out, { width: c.width, height: c.height, rgba: btoa(s) });
      }
      return out;
    }));
    for (const t of batch) if (!seen.has(t.key) || (t.rgba && !seen.get(t.key).rgba)) seen.set(t.key, t);
    const atBottom = await page.evaluate(() => {
      const before = window.scrollY;
      window.scrollBy(0, window.innerHeight * 0.9);
      return window.scrollY === before;
    });
    if (atBottom) break;
  }
  return [...seen.values()].sort((a, b) => Number(a.key) - Number(b.key));
}

/**
 * Collects the corpus URL list with these settings, from the app at `app`
 * (the usual build by default). Returns the counts, the tiles in list order
 * and the alert log.
 */
async function collect(source, settings, app = env.app) {
  const page = await env.browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript((s) => localStorage.setItem('collector.settings', JSON.stringify(s)), { ...BASE, ...settings });
  const list = `${source.url}/corpus/urls.txt?good=${GOOD}`;
  await page.goto(`${app.url}/?${new URLSearchParams({ urls: list, max: '100', autostart: '1' })}`);
  const status = await statusReaches(page, ['Done', 'Stopped'], 120_000);
  assert.match(status, /^Done/);
  const n = await counts(page);
  const tiles = await tilePixels(page);
  await page.click('[data-testid=perf-open]');
  const alerts = await page.textContent('[data-testid=alert-log]');
  assert.deepEqual(errors, [], 'no error reached the page');
  await page.close();
  return { n, tiles, alerts };
}

/** Mean absolute difference per channel value (0..255) of two RGBA buffers. */
function meanDifference(a, b) {
  const x = Buffer.from(a, 'base64');
  const y = Buffer.from(b, 'base64');
  assert.equal(x.length, y.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.abs(x[i] - y[i]);
  return sum / x.length;
}

/**
 * The corpus list's images: its collected cases and its good photos, each
 * with its tile's index (the list's order is the tiles' order).
 */
async function corpusImages(source) {
  const cases = (await (await fetch(`${source.url}/corpus/expected.json`)).json()).cases;
  const urls = (await (await fetch(`${source.url}/corpus/urls.txt?good=${GOOD}`)).text()).split('\n').filter((l) => l.startsWith('http'));
  const caseUrls = new Set(cases.map((c) => c.url));
  return {
    cases: cases.filter((c) => c.kind === 'image' && c.state === 'collected').map((c) => ({ ...c, index: urls.indexOf(c.url) })),
    photos: urls.map((url, index) => ({ name: `photo ${index}`, url, index })).filter((p) => !caseUrls.has(p.url)),
  };
}

test("the corpus's thumbnails by ImageDecoder match the wasm decoder's, upright in both", async () => {
  const source = await startSource(['--count', '40', '--max-side', '640']);
  try {
    // The good photos are up to 640 px, so scaled down to 256 px.
    const { cases, photos } = await corpusImages(source);
    assert.equal(photos.length, GOOD);
    const browser = await collect(source, { decoder: 'image_decoder' });
    const wasm = await collect(source, { decoder: 'wasm' });
    assert.deepEqual(browser.n, wasm.n, 'the same counts either way');
    const lines = [];
    for (const c of [...cases, ...photos]) {
      const [a, b] = [browser.tiles[c.index], wasm.tiles[c.index]];
      assert.equal(a.state, 'collected', `${c.name}: collected through ImageDecoder`);
      assert.equal(b.state, 'collected', `${c.name}: collected through the wasm decoder`);
      assert.equal(a.decoder, 'image_decoder', `${c.name}: made by ImageDecoder, not ${a.decoder}`);
      // The image crate has no AVIF decoder: ImageDecoder stands in for it.
      assert.equal(b.decoder, c.url.endsWith('.avif') ? 'image_decoder' : 'wasm', `${c.name}: made by ${b.decoder}`);
      assert.deepEqual([a.width, a.height], [b.width, b.height], `${c.name}: the same size`);
      const diff = meanDifference(a.rgba, b.rgba);
      lines.push(`${c.name} ${a.width}×${a.height} ${diff.toFixed(2)}`);
      assert.ok(diff < 8, `${c.name}: mean pixel difference ${diff.toFixed(2)} of 255`);
    }
    for (const name of ['exif-orientation-6', 'avif-rotated']) {
      const c = cases.find((x) => x.name === name);
      for (const run of [browser, wasm]) {
        const t = run.tiles[c.index];
        assert.deepEqual([t.width, t.height], [80, 120], `${name} is portrait once turned`);
      }
    }
    console.log(`# mean pixel difference, ImageDecoder against the wasm decoder: ${lines.join('; ')}`);
  } finally {
    await source.stop();
  }
});

test('without ImageDecoder in the workers, a collection completes through the stand-ins with the same counts', async () => {
  const source = await startSource(['--count', '40', '--max-side', '640']);
  try {
    const { cases } = await corpusImages(source);
    const usual = await collect(source, {});
    // The same build, whose workers start from a worker_loader.js that
    // first deletes ImageDecoder from their global scope.
    const dir = mkdtempSync(join(tmpdir(), 'collector-no-image-decoder-'));
    cpSync(new URL('../../dist', import.meta.url).pathname, dir, { recursive: true });
    const loader = join(dir, 'worker_loader.js');
    writeFileSync(loader, `delete self.ImageDecoder;\n${readFileSync(loader, 'utf8')}`);
    const app = await startProcess('serve-app', ['--dir', dir]);
    let without;
    try {
      without = await collect(source, {}, app);
    } finally {
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(without.n, usual.n, 'the same counts');
    assert.ok(usual.n.collected > GOOD, `collected ${usual.n.collected}`);
    const collected = without.tiles.filter((t) => t.state === 'collected');
    assert.equal(collected.length, usual.n.collected);
    for (const t of collected) {
      assert.ok(t.decoder && t.decoder !== 'image_decoder', `tile ${t.key} was made by ${t.decoder}`);
      assert.ok(t.rgba, `tile ${t.key} was drawn`);
    }
    for (const c of cases) assert.equal(without.tiles[c.index].state, 'collected', `${c.name} collected without ImageDecoder`);
    assert.match(without.alerts, /the browser's ImageDecoder is missing in this browser, so another decoder stands in/);
    const by = {};
    for (const t of collected) by[t.decoder] = (by[t.decoder] ?? 0) + 1;
    console.log(`# without ImageDecoder: ${JSON.stringify(by)}`);
  } finally {
    await source.stop();
  }
});
