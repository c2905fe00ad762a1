// The walking skeleton, end to end: query → workers → thumbnails; Cancel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appAndBrowser, startSource, statusReaches, thumbnails, counts, sleep } from './harness.mjs';

const env = appAndBrowser();

const link = (source, params) =>
  `${env.app.url}/?${new URLSearchParams({ provider: 'local', api: source.url, ...params })}`;

test('a query with max 40 yields exactly what the source reports, as real thumbnails', async () => {
  const source = await startSource(['--count', '400', '--max-side', '1600']);
  try {
    const reported = (await source.search('lake', 1)).total;
    assert.ok(reported > 0, 'the source has lake images');
    const expected = Math.min(reported, 40);
    const page = await env.browser.newPage();
    await page.goto(link(source, { q: 'lake', max: '40', autostart: '1' }));
    const status = await statusReaches(page, ['Done', 'Stopped']);
    assert.equal(status, `Done — ${expected} collected, 0 failed`);

    const thumbs = await thumbnails(page);
    assert.equal(thumbs.length, expected);
    for (const t of thumbs) {
      assert.ok(t.width > 0 && t.height > 0 && Math.max(t.width, t.height) <= 256, `size ${t.width}×${t.height}`);
      assert.ok(t.colours > 1, 'a thumbnail has more than one colour');
      assert.equal(t.alpha, 255, 'pixels were drawn');
    }
    const bar = page.locator('[data-testid=progress]');
    assert.equal(await bar.getAttribute('aria-valuenow'), String(expected));
    assert.equal(await bar.getAttribute('aria-valuemax'), String(expected));

    const stats = await source.stats();
    const fetched = Object.values(stats.by_image);
    assert.equal(fetched.length, expected, 'each collected image was fetched');
    assert.ok(fetched.every((n) => n === 1), 'no image was fetched twice');
    const pageFetchedImages = await page.evaluate(() =>
      performance.getEntriesByType('resource').filter((e) => e.name.includes('/images/')).length);
    assert.equal(pageFetchedImages, 0, 'the page thread itself fetched no image');
    await page.close();
  } finally {
    await source.stop();
  }
});

test('Cancel stops requests at once, keeps what was collected, and a new Collect works', async () => {
  const source = await startSource(['--count', '600', '--latency-ms', '50', '--max-side', '800']);
  try {
    const page = await env.browser.newPage();
    await page.goto(link(source, { q: '', max: '500', autostart: '1' }));
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=counts-collected]')?.textContent) >= 5,
      null, { timeout: 60_000, polling: 50 });
    await page.click('[data-testid=cancel]');
    await sleep(200);
    const first = (await source.stats()).image_requests;
    await sleep(1000);
    const later = await source.stats();
    assert.equal(later.image_requests, first, 'no image request reached the source later than 200 ms after Cancel');
    assert.equal(later.image_in_flight, 0, 'nothing is left in flight');

    const status = await statusReaches(page, 'Cancelled', 5_000);
    const c = await counts(page);
    assert.equal(status, `Cancelled — ${c.collected} collected, 0 failed`);
    assert.ok(c.collected >= 5 && c.collected < 500);
    assert.equal((await thumbnails(page)).length, c.collected);
    assert.equal(c.collected + c.failed + c.duplicate + c.filtered + c.cancelled, c.seen, 'the counts add up');

    await page.fill('[data-testid=max]', '12');
    await page.click('[data-testid=collect]');
    assert.equal(await statusReaches(page, ['Done', 'Stopped']), 'Done — 12 collected, 0 failed');
    assert.equal((await thumbnails(page)).length, 12);
    await page.close();
  } finally {
    await source.stop();
  }
});

test('Collect during a collection replaces it', async () => {
  const source = await startSource(['--count', '300', '--latency-ms', '30', '--max-side', '800']);
  try {
    const page = await env.browser.newPage();
    await page.goto(link(source, { q: '', max: '200', autostart: '1' }));
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=counts-collected]')?.textContent) >= 3,
      null, { timeout: 60_000, polling: 50 });
    await page.fill('[data-testid=max]', '8');
    await page.click('[data-testid=collect]');
    assert.equal(await statusReaches(page, ['Done', 'Stopped']), 'Done — 8 collected, 0 failed');
    await sleep(500);
    assert.equal(await page.textContent('[data-testid=status]'), 'Done — 8 collected, 0 failed',
      'the replaced collection reports nothing later');
    assert.equal((await thumbnails(page)).length, 8);
    await page.close();
  } finally {
    await source.stop();
  }
});

test('loading the page and collecting leave the console clean: no warning or error, page or workers', async () => {
  const source = await startSource(['--count', '60', '--max-side', '800']);
  try {
    const page = await env.browser.newPage();
    const said = [];
    const listen = (where) => (m) => { if (['warning', 'error'].includes(m.type())) said.push(`${where} ${m.type()}: ${m.text()}`); };
    page.on('console', listen('page'));
    page.on('worker', (w) => w.on('console', listen('worker')));
    await page.goto(link(source, { q: '', max: '30', autostart: '1' }));
    assert.equal(await statusReaches(page, ['Done', 'Stopped']), 'Done — 30 collected, 0 failed');
    await page.click('[data-testid=perf-open]');
    await sleep(1_500);
    assert.deepEqual(said, []);
    await page.close();
  } finally {
    await source.stop();
  }
});
