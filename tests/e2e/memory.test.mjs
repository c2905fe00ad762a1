// Bounded memory: the gallery is virtualized and draws from a small cache,
// remaking thumbnails from the originals kept in browser storage; a reload
// loses no stored original.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appAndBrowser, startSource, statusReaches, thumbnails, counts, sleep } from './harness.mjs';

const env = appAndBrowser();

const withSettings = (page, settings) =>
  page.addInitScript((s) => localStorage.setItem('collector.settings', JSON.stringify(s)), settings);

/** The stored originals' hashes and the latest collection's records, read from the page's own storage. */
const storage = (page) => page.evaluate(async () => {
  const cache = await caches.open('collector-originals-v1');
  const originals = (await cache.keys()).map((r) => r.url.split('/').pop());
  const db = await new Promise((ok, bad) => { const r = indexedDB.open('collector'); r.onsuccess = () => ok(r.result); r.onerror = bad; });
  const all = (store) => new Promise((ok) => { const r = db.transaction(store).objectStore(store).getAll(); r.onsuccess = () => ok(r.result.map((j) => JSON.parse(j))); });
  const collections = await all('collections');
  const latest = Math.max(...collections.map((c) => c.id));
  const items = (await all('items')).filter((i) => i.collection === latest);
  return { originals, items };
});

test('scrolling a 2 000-image collection top to bottom: every thumbnail that was visible has real pixels', async () => {
  const source = await startSource(['--count', '2100', '--max-side', '320', '--min-side', '120']);
  try {
    const page = await env.browser.newPage();
    await withSettings(page, { cache_budget_mb: 16 });
    await page.goto(`${env.app.url}/?${new URLSearchParams({ provider: 'local', api: source.url, q: '', max: '2000', autostart: '1' })}`);
    assert.equal(await statusReaches(page, ['Done', 'Stopped'], 300_000), 'Done — 2000 collected, 0 failed');
    const rendered = await page.$$eval('[data-testid=thumb]', (t) => t.length);
    assert.ok(rendered < 200, `only rows near the viewport are in the page (${rendered} tiles)`);
    const thumbs = await thumbnails(page);
    assert.equal(thumbs.length, 2000, 'every tile was seen on the way down');
    for (const t of thumbs) {
      assert.ok(t.width > 0 && t.height > 0 && t.colours > 1 && t.alpha === 255, `tile ${t.key} has real pixels`);
    }
    // Past 200 images the browser was asked to keep the storage, and the user is told its answer.
    assert.match(await page.textContent('[data-testid=notices]'), /passed 200 images(: the browser agreed|, but the browser did not agree)/);
    // The quota is read: what is stored (2 000 originals) shows in the panel.
    await page.waitForFunction(() => globalThis.__collectorMetrics?.storage_usage > 5 * 2 ** 20, null, { timeout: 10_000 });
    const { storage_usage: usage, storage_quota: quota } = await page.evaluate(() => globalThis.__collectorMetrics);
    assert.ok(quota > usage, `the quota (${quota}) is above what is used (${usage})`);
    await page.click('[data-testid=perf-open]');
    assert.match(await page.textContent('[data-testid=perf-storage]'), /^[\d.]+ [KMG]B of [\d.]+ [KMG]B used$/);
    await page.close();
  } finally {
    await source.stop();
  }
});

test('a reload during a collection loses no stored original, and the restored tiles draw from them', async () => {
  const source = await startSource(['--count', '400', '--latency-ms', '20', '--max-side', '600']);
  try {
    const page = await env.browser.newPage();
    const link = `${env.app.url}/?${new URLSearchParams({ provider: 'local', api: source.url, q: '' })}`;
    await page.goto(`${link}&max=300&autostart=1`);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=counts-collected]')?.textContent) >= 30,
      null, { timeout: 60_000, polling: 50 });
    const before = await storage(page);
    assert.ok(before.originals.length >= 30);
    const shown = (await counts(page)).collected;
    await page.goto(link);
    await page.waitForFunction(() => document.querySelector('[data-testid=notices]')?.textContent.includes('Restored'),
      null, { timeout: 30_000 });
    const after = await storage(page);
    for (const sha of before.originals) assert.ok(after.originals.includes(sha), `original ${sha} survived the reload`);
    const collected = after.items.filter((i) => i.status === 'collected');
    assert.ok(collected.length >= shown, `every item shown as collected kept its record (${collected.length} of ${shown})`);
    for (const i of collected) assert.ok(after.originals.includes(i.collected.sha256), `record ${i.id} has its original`);
    assert.equal((await counts(page)).collected, collected.length);
    const thumbs = await thumbnails(page);
    assert.equal(thumbs.length, collected.length);
    assert.ok(thumbs.every((t) => t.colours > 1), 'restored tiles were remade from their originals');
    await page.close();
  } finally {
    await source.stop();
  }
});

test('the detail view shows the thumbnail at once, then the full image made from the stored original, with its credits', async () => {
  const source = await startSource(['--count', '30', '--min-side', '1400', '--max-side', '2400']);
  try {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${env.app.url}/?${new URLSearchParams({ provider: 'local', api: source.url, q: '', max: '12', autostart: '1' })}`);
    assert.equal(await statusReaches(page, ['Done', 'Stopped'], 60_000), 'Done — 12 collected, 0 failed');
    await page.waitForSelector('[data-testid=thumb][data-drawn=true]');
    // Every stage the detail image goes through, as the page shows them.
    await page.evaluate(() => {
      window.__stages = [];
      new MutationObserver(() => {
        const stage = document.querySelector('[data-testid=detail-image]')?.dataset.stage;
        if (stage && stage !== 'none' && window.__stages.at(-1) !== stage) window.__stages.push(stage);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-stage'] });
    });
    await page.click('[data-testid=open-detail] >> nth=0');
    await page.waitForSelector('[data-testid=detail-image][data-stage=full]', { timeout: 15_000 });
    assert.deepEqual(await page.evaluate(() => window.__stages), ['thumbnail', 'full'], 'the thumbnail first, then the full image');
    const credits = await page.textContent('[data-testid=detail-credits]');
    const [, w, h] = credits.match(/(\d+) × (\d+) [A-Z]+, [\d.]+ MB/).map(Number);
    const image = await page.$eval('[data-testid=detail-image]', (c) => {
      const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const colours = new Set();
      for (let i = 0; i < data.length && colours.size < 50; i += 4 * 97) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      return { width: c.width, height: c.height, colours: colours.size };
    });
    // The window's long side (1 280 device px here) bounds the full image; the original is larger.
    assert.equal(Math.max(image.width, image.height), Math.min(Math.max(w, h), 1280), `full image ${image.width}×${image.height} of a ${w}×${h} original`);
    assert.ok(image.colours > 10, 'the full image has real pixels');
    assert.match(credits, /From\s*http:\/\/127\.0\.0\.1:\d+\//, 'where it came from');
    assert.match(await page.getAttribute('[data-testid=detail-credits] a >> nth=-1', 'href'), /^http:\/\/127\.0\.0\.1/);
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid=detail]', { state: 'detached', timeout: 2_000 });
    await page.close();
  } finally {
    await source.stop();
  }
});

const metrics = (page) => page.evaluate(() => globalThis.__collectorMetrics);
/** The page's JS heap right after a full garbage collection, with its wasm and its workers' wasm. */
const atRest = (page) => page.evaluate(() => {
  gc();
  gc();
  const m = globalThis.__collectorMetrics;
  return { heap: performance.memory.usedJSHeapSize, page_wasm: m.page_wasm, workers_wasm: m.workers_wasm };
});

async function setSetting(page, field, value) {
  const input = page.locator(`[data-testid=setting-${field}]`);
  await input.fill(String(value));
  await input.press('Tab');
}

test('memory past the critical line pauses intake behind a banner; below the warning line it resumes', async () => {
  const source = await startSource(['--count', '400', '--latency-ms', '50', '--max-side', '600']);
  try {
    const page = await env.browser.newPage();
    await page.goto(`${env.app.url}/?${new URLSearchParams({ provider: 'local', api: source.url, q: '', max: '150', autostart: '1' })}`);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=counts-collected]')?.textContent) >= 5,
      null, { timeout: 60_000, polling: 50 });
    await page.click('[data-testid=settings-open]');
    await setSetting(page, 'warning_mb', 1);
    await setSetting(page, 'critical_mb', 2);
    await page.waitForSelector('[data-testid=banner]', { timeout: 5_000 });
    assert.match(await page.textContent('[data-testid=banner]'), /passed the critical line/);
    await statusReaches(page, 'Paused', 5_000);
    await sleep(1500); // what was in flight finishes
    const paused = (await source.stats()).image_requests;
    await sleep(1000);
    assert.equal((await source.stats()).image_requests, paused, 'no new downloads while paused');
    assert.equal((await metrics(page)).level, 'critical');

    await setSetting(page, 'critical_mb', 8000);
    await setSetting(page, 'warning_mb', 4000);
    await page.waitForSelector('[data-testid=banner]', { state: 'detached', timeout: 5_000 });
    assert.equal(await statusReaches(page, ['Done', 'Stopped'], 120_000), 'Done — 150 collected, 0 failed');
    const log = await page.textContent('[data-testid=notices]');
    assert.match(log, /\d\d:\d\d:\d\d memory \d+ MB passed the critical line \(2 MB\)/);
    assert.match(log, /fell below the warning line/);
    await page.close();
  } finally {
    await source.stop();
  }
});

test('Clear frees the cache, the workers and the stored collection', async () => {
  const source = await startSource(['--count', '200', '--max-side', '1200']);
  try {
    const page = await env.browser.newPage();
    await page.goto(`${env.app.url}/?${new URLSearchParams({ provider: 'local', api: source.url, q: '', max: '5' })}`);
    // A first small collection, cleared, warms the page up (compiled code,
    // first allocations): "before" is the page at rest after that.
    await page.click('[data-testid=collect]');
    await statusReaches(page, 'Done');
    await page.click('[data-testid=clear]');
    await sleep(1200);
    const idle = await atRest(page);
    await page.fill('[data-testid=max]', '100');
    await page.click('[data-testid=collect]');
    assert.equal(await statusReaches(page, ['Done', 'Stopped']), 'Done — 100 collected, 0 failed');
    await sleep(1200);
    const busy = await metrics(page);
    busy.heap = busy.js_heap_used;
    assert.ok(busy.cache_bytes > 0 && busy.workers_wasm > 0, 'the collection used the cache and workers');
    assert.ok((await storage(page)).originals.length === 100);

    await page.click('[data-testid=clear]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=thumb]').length === 0);
    assert.equal((await counts(page)).seen, 0);
    await sleep(1200);
    assert.equal((await metrics(page)).cache_bytes, 0, 'the cache is empty');
    const cleared = await atRest(page);
    assert.equal(cleared.workers_wasm, 0, 'the workers were stopped');
    const used = (m) => m.heap + m.page_wasm + m.workers_wasm;
    assert.ok(used(cleared) <= used(idle) * 1.2,
      `memory fell back to within 20% of before (${JSON.stringify(idle)} before, ${JSON.stringify(busy)} busy, ${JSON.stringify(cleared)} after)`);
    await page.waitForFunction(async () => (await (await caches.open('collector-originals-v1')).keys()).length === 0,
      null, { timeout: 5_000, polling: 100 });
    await page.close();
  } finally {
    await source.stop();
  }
});

test('scrolling back during a collection: the visible thumbnails are made again before the queued chunks finish', async () => {
  const source = await startSource(['--count', '700', '--latency-ms', '40', '--max-side', '500']);
  try {
    const page = await env.browser.newPage();
    // A cache of 2 MB holds about ten thumbnails: the first rows are long evicted.
    await withSettings(page, { cache_budget_mb: 2 });
    await page.goto(`${env.app.url}/?${new URLSearchParams({ provider: 'local', api: source.url, q: '', max: '600', autostart: '1' })}`);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=counts-collected]')?.textContent) >= 150,
      null, { timeout: 120_000, polling: 100 });
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight / 2));
    await sleep(300);
    await page.evaluate(() => window.scrollTo(0, 0));
    const started = Date.now();
    await page.waitForFunction(() => {
      const h = window.innerHeight;
      const visible = [...document.querySelectorAll('[data-testid=thumb][data-state=collected]')]
        .filter((t) => { const r = t.getBoundingClientRect(); return r.bottom > 0 && r.top < h; });
      return visible.length > 0 && visible.every((t) => t.dataset.drawn === 'true');
    }, null, { timeout: 30_000, polling: 50 });
    const status = await page.textContent('[data-testid=status]');
    assert.match(status, /^Collecting/, `the visible tiles were drawn while the collection still ran (${Date.now() - started} ms)`);
    const c = await counts(page);
    assert.ok(c.collected < 600, 'chunks were still queued');
    await page.click('[data-testid=cancel]');
    await page.close();
  } finally {
    await source.stop();
  }
});

test('a full storage quota stops intake with a clear message, and what was stored stays', async () => {
  const source = await startSource(['--count', '300', '--min-side', '1500', '--max-side', '2500']);
  try {
    const page = await env.browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    // Chromium's own quota for this origin, made tiny: room for a few originals.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: env.app.url, quotaSize: 3 * 1024 * 1024 });
    await page.goto(`${env.app.url}/?${new URLSearchParams({ provider: 'local', api: source.url, q: '', max: '200', autostart: '1' })}`);
    const status = await statusReaches(page, ['Done', 'Stopped', 'Cancelled'], 120_000);
    assert.match(status, /^Stopped — the browser's storage for this site is full; free some \(delete a collection\) to collect more$/);
    const c = await counts(page);
    assert.ok(c.collected > 0 && c.collected < 200, `some were kept before the quota ran out (${c.collected})`);
    assert.equal(c.collected + c.failed + c.duplicate + c.filtered + c.cancelled, c.seen, 'the counts add up');
    await sleep(500);
    const after = await storage(page);
    const collected = after.items.filter((i) => i.status === 'collected');
    assert.equal(collected.length, c.collected, 'every collected image has its record');
    for (const i of collected) assert.ok(after.originals.includes(i.collected.sha256), `record ${i.id} has its original`);
    await page.close();
  } finally {
    await source.stop();
  }
});
