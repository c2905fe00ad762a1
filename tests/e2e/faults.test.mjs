// Faults: a worker that panics mid-chunk is replaced and its chunk runs
// again (nothing lost, nothing counted twice); going offline pauses intake
// behind a banner until the network is back; without Web Workers the page
// says so plainly instead of hanging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appAndBrowser, startSource, statusReaches, counts, sleep } from './harness.mjs';

const env = appAndBrowser();

test('a worker that panics mid-chunk is replaced, its chunk runs again, and only the item that crashed it fails', async () => {
  const source = await startSource(['--count', '60', '--max-side', '500', '--latency-ms', '20']);
  try {
    const urls = (await (await fetch(`${source.url}/api/urls.txt?max=40`)).text()).trim().split('\n');
    const bad = `${urls[10]}?collector-test-panic`;
    const page = await env.browser.newPage();
    await page.goto(`${env.app.url}/?provider=urls`);
    await page.fill('[data-testid=url-list]', [...urls.slice(0, 11), bad, ...urls.slice(11)].join('\n'));
    await page.click('[data-testid=collect]');
    assert.equal(await statusReaches(page, ['Done', 'Stopped'], 60_000), 'Done — 40 collected, 1 failed');
    const c = await counts(page);
    assert.equal(c.seen, 41);
    assert.equal(c.collected + c.failed + c.duplicate + c.filtered + c.cancelled, c.seen, 'the counts add up');
    const failed = page.locator('[data-testid=thumb][data-state=failed]');
    assert.equal(await failed.count(), 1);
    assert.match(await failed.textContent(), /in hand each time a worker stopped/);
    await page.click('[data-testid=perf-open]');
    assert.match(await page.textContent('[data-testid=alert-log]'), /worker \d stopped/);
    // Every good image is collected exactly once (the records say so), and
    // the replaced workers collect again.
    const ids = await page.evaluate(async () => {
      const db = await new Promise((ok) => { const r = indexedDB.open('collector'); r.onsuccess = () => ok(r.result); });
      const items = await new Promise((ok) => { const r = db.transaction('items').objectStore('items').getAll(); r.onsuccess = () => ok(r.result.map((j) => JSON.parse(j))); });
      const latest = Math.max(...items.map((i) => i.collection));
      return items.filter((i) => i.collection === latest && i.status === 'collected').map((i) => i.candidate.url);
    });
    assert.equal(new Set(ids).size, 40);
    await page.keyboard.press('Escape');
    await page.fill('[data-testid=url-list]', urls.slice(0, 5).join('\n'));
    await page.click('[data-testid=collect]');
    assert.equal(await statusReaches(page, ['Done', 'Stopped'], 30_000), 'Done — 5 collected, 0 failed');
    await page.close();
  } finally {
    await source.stop();
  }
});

test('offline mid-collection: intake pauses behind a banner, and goes on when the network is back', async () => {
  const source = await startSource(['--count', '200', '--max-side', '500', '--latency-ms', '60']);
  try {
    const page = await env.browser.newPage();
    await page.goto(`${env.app.url}/?${new URLSearchParams({ provider: 'local', api: source.url, q: '', max: '80', autostart: '1' })}`);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=counts-collected]')?.textContent) >= 5,
      null, { timeout: 60_000, polling: 50 });
    await page.context().setOffline(true);
    await page.waitForSelector('[data-testid=banner]', { timeout: 5_000 });
    assert.match(await page.textContent('[data-testid=banner]'), /network is gone/);
    assert.match(await statusReaches(page, 'Paused', 5_000), /^Paused/);
    await sleep(500);
    const held = (await source.stats()).image_requests;
    await sleep(4_000); // longer than every retry of the default policy together
    assert.equal((await source.stats()).image_requests, held, 'nothing reaches the network while offline');
    await page.context().setOffline(false);
    await page.waitForSelector('[data-testid=banner]', { state: 'detached', timeout: 5_000 });
    assert.equal(await statusReaches(page, ['Done', 'Stopped'], 120_000), 'Done — 80 collected, 0 failed', 'nothing in flight was lost to the outage');
    await page.close();
  } finally {
    await source.stop();
  }
});

test('without Web Workers the page says so plainly and does not hang', async () => {
  const source = await startSource(['--count', '20']);
  try {
    const page = await env.browser.newPage();
    await page.addInitScript(() => { delete window.Worker; });
    await page.goto(`${env.app.url}/?${new URLSearchParams({ provider: 'local', api: source.url, q: '', max: '10', autostart: '1' })}`);
    const status = await statusReaches(page, ['Stopped', 'Done'], 10_000);
    assert.match(status, /^Stopped.*could not start a Web Worker.*collecting needs them/);
    assert.equal((await source.stats()).image_requests, 0);
    await page.close();
  } finally {
    await source.stop();
  }
});
