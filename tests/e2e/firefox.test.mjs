// Firefox too (issue 13): Debian's firefox-esr, driven by puppeteer-core over
// WebDriver BiDi (Playwright cannot drive a stock Firefox). A collection
// from the local demo source completes through whichever decode path
// Firefox takes, with thumbnails that have real pixels; the path taken is
// written in the test's output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import puppeteer from 'puppeteer-core';
import { startApp, startSource } from './harness.mjs';

const N = 50;
let app;
let source;
let browser;

before(async () => {
  app = await startApp();
  source = await startSource(['--count', '200', '--max-side', '1600']);
  browser = await puppeteer.launch({
    browser: 'firefox', executablePath: '/usr/bin/firefox-esr', headless: true, protocol: 'webDriverBiDi',
  });
});

after(async () => {
  await browser?.close();
  await source?.stop();
  await app?.stop();
});

test(`Firefox collects ${N} images from the demo source, with real thumbnails`, async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e.message ?? e)));
  const started = Date.now();
  await page.goto(`${app.url}/?${new URLSearchParams({ provider: 'local', api: source.url, q: '', max: String(N), autostart: '1' })}`);
  await page.waitForFunction(
    () => /^(Done|Stopped)/.test(document.querySelector('[data-testid=status]')?.textContent ?? ''),
    { timeout: 120_000, polling: 200 },
  );
  const status = await page.$eval('[data-testid=status]', (e) => e.textContent);
  assert.equal(status, `Done — ${N} collected, 0 failed`);
  // The tiles on screen have drawn real pixels; the decoders say which path made them.
  await page.waitForFunction(() => {
    const h = window.innerHeight;
    return [...document.querySelectorAll('[data-testid=thumb][data-state=collected]')]
      .filter((t) => { const r = t.getBoundingClientRect(); return r.bottom > 0 && r.top < h; })
      .every((t) => t.dataset.drawn === 'true');
  }, { timeout: 30_000, polling: 100 });
  const tiles = await page.$$eval('[data-testid=thumb][data-state=collected]', (all) => {
    const h = window.innerHeight;
    return all.map((t) => {
      const r = t.getBoundingClientRect();
      const c = t.querySelector('canvas');
      let colours = null;
      if (r.bottom > 0 && r.top < h && c) {
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < data.length && seen.size < 50; i += 4 * 31) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
        colours = seen.size;
      }
      return { decoder: t.dataset.decoder ?? null, colours, width: c?.width ?? 0 };
    });
  });
  const drawn = tiles.filter((t) => t.colours !== null);
  assert.ok(drawn.length >= 6, `tiles on screen: ${drawn.length}`);
  for (const t of drawn) assert.ok(t.colours > 3 && t.width > 1, `a thumbnail with real pixels (${t.colours} colours)`);
  // The gallery holds the rows near the screen; each names its decoder.
  for (const t of tiles) assert.ok(t.decoder, 'a collected tile names the decoder that made it');
  // The performance panel counts them all.
  await page.click('[data-testid=perf-open]');
  await page.waitForSelector('[data-testid=perf-decoders]');
  const paths = await page.$eval('[data-testid=perf-decoders]', (e) => e.textContent);
  const total = [...paths.matchAll(/ (\d+)(?: ·|$)/g)].reduce((a, m) => a + Number(m[1]), 0);
  const version = await browser.version();
  console.log(`# ${version}: ${N} collected in ${((Date.now() - started) / 1000).toFixed(1)} s; decoded by ${paths}`);
  assert.equal(total, N, `every thumbnail is counted by its decoder: ${paths}`);
  assert.deepEqual(errors, [], 'no error reached the page');
  await page.close();
});
