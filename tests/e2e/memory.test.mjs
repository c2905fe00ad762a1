// Bounded memory: the gallery is virtualized and draws from a small cache,
// remaking thumbnails from the originals kept in browser storage; a reload
// loses no stored original.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSource, startApp, launch, statusReaches, thumbnails, counts, sleep } from './harness.mjs';

let app, browser;
before(async () => {
  app = await startApp();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await app?.stop();
});

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
    const page = await browser.newPage();
    await withSettings(page, { cache_budget_mb: 16 });
    await page.goto(`${app.url}/?${new URLSearchParams({ provider: 'local', api: source.url, q: '', max: '2000', autostart: '1' })}`);
    assert.equal(await statusReaches(page, ['Done', 'Stopped'], 300_000), 'Done — 2000 collected, 0 failed');
    const rendered = await page.$$eval('[data-testid=thumb]', (t) => t.length);
    assert.ok(rendered < 200, `only rows near the viewport are in the page (${rendered} tiles)`);
    const thumbs = await thumbnails(page);
    assert.equal(thumbs.length, 2000, 'every tile was seen on the way down');
    for (const t of thumbs) {
      assert.ok(t.width > 0 && t.height > 0 && t.colours > 1 && t.alpha === 255, `tile ${t.key} has real pixels`);
    }
    await page.close();
  } finally {
    await source.stop();
  }
});

test('a reload during a collection loses no stored original, and the restored tiles draw from them', async () => {
  const source = await startSource(['--count', '400', '--latency-ms', '20', '--max-side', '600']);
  try {
    const page = await browser.newPage();
    const link = `${app.url}/?${new URLSearchParams({ provider: 'local', api: source.url, q: '' })}`;
    await page.goto(`${link}&max=300&autostart=1`);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=counts-collected]')?.textContent) >= 30,
      null, { timeout: 60_000, polling: 50 });
    const before = await storage(page);
    assert.ok(before.originals.length >= 30);
    await page.goto(link);
    await page.waitForFunction(() => document.querySelector('[data-testid=notices]')?.textContent.includes('Restored'),
      null, { timeout: 30_000 });
    const after = await storage(page);
    for (const sha of before.originals) assert.ok(after.originals.includes(sha), `original ${sha} survived the reload`);
    const collected = after.items.filter((i) => i.status === 'collected');
    assert.ok(collected.length >= 30, `the records survived (${collected.length} collected)`);
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
