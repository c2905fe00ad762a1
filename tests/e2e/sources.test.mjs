// Every source through the same collector: the MediaWiki- and Openverse-shaped
// endpoints of the local source (only the base address differs from the real
// services), a URL list from another 127.0.0.1 port, and a catalog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { appAndBrowser, startSource, statusReaches, thumbnails, counts } from './harness.mjs';

const env = appAndBrowser();

/** A one-letter query that matches at least `n` images of the source. */
async function queryMatching(source, n) {
  for (const q of 'smbcgflrwhtdpa') {
    if ((await source.search(q, 1)).total >= n) return q;
  }
  throw new Error(`no one-letter query matches ${n} images`);
}

test('300 images through the MediaWiki-shaped endpoint with 10% injected 429/500 all end collected, within the host cap', async () => {
  const source = await startSource(['--count', '600', '--max-side', '900', '--fault-rate', '0.1', '--faults', '429,500']);
  try {
    const q = await queryMatching(source, 300);
    await source.reset();
    const page = await env.browser.newPage();
    await page.goto(`${env.app.url}/?${new URLSearchParams({ provider: 'commons', api: `${source.url}/w/api.php`, q, max: '300', autostart: '1' })}`);
    const status = await statusReaches(page, ['Done', 'Stopped'], 240_000);
    assert.equal(status, 'Done — 300 collected, 0 failed');
    assert.equal((await thumbnails(page)).length, 300);
    const stats = await source.stats();
    assert.ok(stats.image_requests > 300, `faults were injected and retried (${stats.image_requests} image requests)`);
    assert.ok(stats.max_image_in_flight <= 6, `at most 6 downloads in flight at the host (saw ${stats.max_image_in_flight})`);
    await page.close();
  } finally {
    await source.stop();
  }
});

test('a URL list served from another 127.0.0.1 port is collected completely by a deep link', async () => {
  const source = await startSource(['--count', '200', '--max-side', '900']);
  const list = await (await fetch(`${source.url}/api/urls.txt?max=30`)).text();
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'access-control-allow-origin': '*' });
    res.end(`# thirty images\n${list}`);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const listUrl = `http://127.0.0.1:${server.address().port}/list.txt`;
    const page = await env.browser.newPage();
    await page.goto(`${env.app.url}/?${new URLSearchParams({ urls: listUrl, autostart: '1' })}`);
    assert.equal(await statusReaches(page, ['Done', 'Stopped']), 'Done — 30 collected, 0 failed');
    assert.equal(await page.inputValue('[data-testid=provider]'), 'urls');
    assert.equal((await thumbnails(page)).length, 30);
    await page.close();
  } finally {
    server.close();
    await source.stop();
  }
});

test('a pasted list with bad lines collects the good ones and says which lines were skipped', async () => {
  const source = await startSource(['--count', '50', '--max-side', '600']);
  try {
    const urls = (await (await fetch(`${source.url}/api/urls.txt?max=5`)).text()).trim().split('\n');
    const text = [urls[0], 'javascript:alert(1)', urls[1], 'not a url', urls[2], urls[0]].join('\n');
    const page = await env.browser.newPage();
    await page.goto(`${env.app.url}/?provider=urls`);
    await page.fill('[data-testid=url-list]', text);
    await page.click('[data-testid=collect]');
    assert.equal(await statusReaches(page, ['Done', 'Stopped']), 'Done — 3 collected, 0 failed');
    const c = await counts(page);
    assert.equal(c.duplicate, 1, 'the repeated URL is a duplicate');
    const notices = await page.textContent('[data-testid=notices]');
    assert.match(notices, /line 2 is not an http\(s\) URL; skipped/);
    assert.match(notices, /line 4 is not an http\(s\) URL; skipped/);
    await page.close();
  } finally {
    await source.stop();
  }
});

test('a catalog by deep link, and the Openverse-shaped endpoint, collect what they list', async () => {
  const source = await startSource(['--count', '200', '--max-side', '900']);
  try {
    const page = await env.browser.newPage();
    await page.goto(`${env.app.url}/?${new URLSearchParams({ catalog: `${source.url}/catalog.json?max=20`, autostart: '1' })}`);
    assert.equal(await statusReaches(page, ['Done', 'Stopped']), 'Done — 20 collected, 0 failed');

    const q = await queryMatching(source, 30);
    await page.goto(`${env.app.url}/?${new URLSearchParams({ provider: 'openverse', api: source.url, q, max: '30', autostart: '1' })}`);
    assert.equal(await statusReaches(page, ['Done', 'Stopped']), 'Done — 30 collected, 0 failed');
    assert.equal((await thumbnails(page)).length, 30);
    await page.close();
  } finally {
    await source.stop();
  }
});

test('unicode queries reach the provider whole; a long one is cut to each provider\'s limit, with a notice', async () => {
  const source = await startSource(['--count', '200', '--max-side', '600']);
  try {
    const page = await env.browser.newPage();
    const queries = async () => (await source.stats()).queries;
    // Emoji and right-to-left text, as typed, through the MediaWiki-shaped endpoint.
    const rtl = 'אגם כחול 🌊 بحيرة';
    await source.reset();
    await page.goto(`${env.app.url}/?${new URLSearchParams({ provider: 'commons', api: `${source.url}/w/api.php`, q: rtl, max: '10', autostart: '1' })}`);
    assert.equal(await statusReaches(page, ['Done', 'Stopped']), 'Done — 0 collected, 0 failed');
    assert.deepEqual(await queries(), [rtl]);
    assert.equal(await page.inputValue('[data-testid=query]'), rtl);
    assert.equal(await page.getAttribute('[data-testid=query]', 'dir'), 'auto');

    // 350 characters of emoji and words: over both services' limits (300 and 200).
    const long = '🌊 lake '.repeat(50);
    const lakes = (await source.search('lake', 1)).total;
    assert.ok(lakes >= 10, `the source has lake images (${lakes})`);
    for (const [provider, api, limit, service] of [
      ['commons', `${source.url}/w/api.php`, 300, 'Wikimedia Commons'],
      ['openverse', source.url, 200, 'Openverse'],
    ]) {
      await source.reset();
      await page.goto(`${env.app.url}/?${new URLSearchParams({ provider, api, q: long, max: '10', autostart: '1' })}`);
      assert.equal(await statusReaches(page, ['Done', 'Stopped']), 'Done — 10 collected, 0 failed', provider);
      const sent = await queries();
      assert.ok(sent.length >= 1);
      for (const q of sent) {
        assert.ok([...q].length <= limit, `${provider} got ${[...q].length} characters`);
        assert.ok(long.startsWith(q), `${provider} got the query's start, cut at a word: ${q.slice(-12)}`);
        assert.ok(q.endsWith('lake') || q.endsWith('🌊'), 'cut at a word end, not inside a word');
      }
      const notices = await page.textContent('[data-testid=notices]');
      assert.match(notices, new RegExp(`${service} searches at most ${limit} characters; this query has 349, so only its first \\d+ were searched`));
    }
    await page.close();
  } finally {
    await source.stop();
  }
});
