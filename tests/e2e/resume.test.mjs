// Collections persist: a collection interrupted by a reload can be resumed.
// It ends with every image exactly once, and nothing collected before the
// reload is downloaded again (the source's own request log says so).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appAndBrowser, startSource, statusReaches, thumbnails, counts } from './harness.mjs';

const env = appAndBrowser();

/** The latest collection's records, read from the page's IndexedDB. */
const records = (page) => page.evaluate(async () => {
  const db = await new Promise((ok, bad) => { const r = indexedDB.open('collector'); r.onsuccess = () => ok(r.result); r.onerror = bad; });
  const all = (store) => new Promise((ok) => { const r = db.transaction(store).objectStore(store).getAll(); r.onsuccess = () => ok(r.result.map((j) => JSON.parse(j))); });
  const collections = await all('collections');
  const latest = collections.reduce((a, c) => (c.id > a.id ? c : a));
  return { collection: latest, items: (await all('items')).filter((i) => i.collection === latest.id) };
});
const imageId = (url) => Number(/\/images\/(\d+)\./.exec(url)[1]);

test('a reload during a collection, then Resume: every image exactly once, nothing collected fetched twice', async () => {
  const source = await startSource(['--count', '400', '--latency-ms', '40', '--max-side', '600']);
  try {
    const page = await env.browser.newPage();
    const link = `${env.app.url}/?${new URLSearchParams({ provider: 'local', api: source.url, q: '' })}`;
    await page.goto(`${link}&max=120&autostart=1`);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=counts-collected]')?.textContent) >= 30,
      null, { timeout: 60_000, polling: 50 });
    await page.goto(link);
    await page.waitForFunction(() => document.querySelector('[data-testid=notices]')?.textContent.includes('Restored'),
      null, { timeout: 30_000 });
    const before = await records(page);
    assert.equal(before.collection.state, 'collecting', 'the interrupted collection is known as such');
    const collectedBefore = before.items.filter((i) => i.status === 'collected').map((i) => imageId(i.candidate.url));
    assert.ok(collectedBefore.length >= 30, `${collectedBefore.length} collected before the reload`);
    assert.equal(await page.locator('[data-testid=resume]').count(), 1, 'Resume is offered');

    await page.click('[data-testid=resume]');
    assert.equal(await statusReaches(page, ['Done', 'Stopped'], 120_000), 'Done — 120 collected, 0 failed');
    assert.equal(await page.locator('[data-testid=resume]').count(), 0, 'nothing left to resume');

    const after = await records(page);
    assert.equal(after.collection.state, 'done');
    const collected = after.items.filter((i) => i.status === 'collected');
    const ids = collected.map((i) => imageId(i.candidate.url));
    assert.equal(collected.length, 120);
    assert.equal(new Set(ids).size, 120, 'every image exactly once');
    assert.equal(new Set(after.items.map((i) => i.id)).size, after.items.length, 'no record id given twice');
    const log = (await source.stats()).by_image;
    for (const id of collectedBefore) assert.equal(log[id], 1, `image ${id}, collected before the reload, was fetched once`);
    assert.equal((await counts(page)).collected, 120);
    const thumbs = await thumbnails(page);
    assert.equal(thumbs.length, 120);
    assert.ok(thumbs.every((t) => t.colours > 1), 'every tile has real pixels');
    await page.close();
  } finally {
    await source.stop();
  }
});
