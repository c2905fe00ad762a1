// The installable app as users get it: the release build (`make dist` →
// dist-release/) served under a sub-path (/collector/) by serve-app --plain,
// which sends no cross-origin headers, like GitHub Pages. Each test runs in
// its own persistent (non-incognito) Chromium profile, as installing needs,
// on its own copy of dist-release/ and its own server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumArgs, counts, launch, startApp, startProcess, startSource, statusReaches, thumbnails } from './harness.mjs';

const root = new URL('../../', import.meta.url).pathname;
const release = `${root}dist-release`;
const BASE = '/collector/';
const temps = [];

function temp(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** A copy of dist-release/ served under /collector/ as a plain static host serves it. */
async function publish() {
  const dir = temp('collector-site-');
  cpSync(release, dir, { recursive: true });
  const app = await startProcess('serve-app', ['--dir', dir, '--base', BASE, '--plain']);
  return { dir, app, home: `${app.url}${BASE}` };
}

/** A fresh persistent profile: installability is not checked in incognito contexts. */
async function browser() {
  const context = await chromium.launchPersistentContext(temp('collector-profile-'), {
    executablePath: '/usr/bin/chromium', args: chromiumArgs, headless: true,
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => console.log('[page error]', e.message));
  // Errors, and the page's own warnings about its service worker.
  page.on('console', (m) => {
    if (m.type() === 'error' || (m.type() === 'warning' && /service worker/i.test(m.text()))) console.log(`[page ${m.type()}]`, m.text());
  });
  return { context, page };
}

/** Waits until the service worker has installed the shell and controls the page. */
async function controlled(page) {
  await page.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated', null, { timeout: 60_000, polling: 100 });
}

const cacheNames = (page) => page.evaluate(() => caches.keys());
/** How many originals the app keeps in Cache Storage. */
const originals = (page) =>
  page.evaluate(async () => ((await caches.has('collector-originals-v1'))
    ? (await (await caches.open('collector-originals-v1')).keys()).length : 0));

before(() => {
  assert.ok(existsSync(`${release}/sw.js`), 'dist-release/ holds a release build with its sw.js: run `make dist` first');
});
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

test('Chromium finds the release build, served under a sub-path, installable', async () => {
  const site = await publish();
  const { context, page } = await browser();
  try {
    await page.goto(site.home);
    await controlled(page);
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, [], 'Chromium reports no installability errors');
    const manifest = await cdp.send('Page.getAppManifest');
    assert.equal(manifest.url, `${site.home}manifest.webmanifest`);
    assert.deepEqual(manifest.errors, [], 'the manifest parses without errors');
    const scope = await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.scope));
    assert.equal(scope, site.home, 'the service worker’s scope is the sub-path');
  } finally {
    await context.close();
    await site.app.stop();
  }
});

test('with the app server and the source stopped, a reload shows the app and its stored collection', async () => {
  const site = await publish();
  const source = await startSource(['--count', '60', '--max-side', '1200']);
  const { context, page } = await browser();
  try {
    await page.goto(`${site.home}?provider=local&api=${encodeURIComponent(source.url)}&q=&max=10&autostart=1`);
    assert.match(await statusReaches(page, 'Done'), /^Done/);
    const first = await counts(page);
    assert.equal(first.collected, 10, 'ten images collected on the first visit');
    await controlled(page);
    // The plain host sends no COOP/COEP: the first visit is not isolated.
    assert.equal(await page.evaluate(() => crossOriginIsolated), false);

    await site.app.stop();
    await source.stop();
    await assert.rejects(fetch(site.home), 'the app server is really down');
    await assert.rejects(fetch(`${source.url}/api/search?q=`), 'the source is really down');

    await page.goto(site.home);
    await page.waitForFunction(
      () => document.querySelector('[data-testid=notices]')?.textContent.includes('Restored'),
      null, { timeout: 30_000, polling: 100 },
    );
    assert.match(await page.textContent('[data-testid=notices]'), /Restored “.*”: 10 collected\./);
    assert.equal((await counts(page)).collected, 10);
    // The workers start from the cached shell and draw every tile from the stored originals.
    const tiles = await thumbnails(page);
    assert.equal(tiles.length, 10, 'ten tiles drawn offline');
    for (const t of tiles) assert.ok(t.colours > 1, `tile ${t.key} shows an image, not a blank`);
    // The detail view makes the full image from the stored original too.
    await page.click('[data-testid=open-detail] >> nth=0');
    await page.waitForSelector('[data-testid=detail-image][data-stage=full]', { timeout: 15_000 });
    await page.keyboard.press('Escape');
    // Served by the service worker, with the headers it adds: isolated now.
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'the service worker made the page cross-origin isolated');
  } finally {
    await context.close();
    await site.app.stop();
    await source.stop();
  }
});

test('a new build published while the app is open offers "Reload to update", which brings it in and keeps the originals', async () => {
  const site = await publish();
  const source = await startSource(['--count', '60', '--max-side', '800']);
  const { context, page } = await browser();
  try {
    await page.goto(`${site.home}?provider=local&api=${encodeURIComponent(source.url)}&q=&max=5&autostart=1`);
    await statusReaches(page, 'Done');
    await controlled(page);
    const before = await cacheNames(page);
    const oldShell = before.find((n) => n.startsWith('collector-shell-'));
    assert.ok(oldShell, `a shell cache (${before})`);
    const stored = await originals(page);
    assert.equal(stored, 5, 'the five originals are stored');
    assert.equal(await page.isVisible('[data-testid=update]'), false, 'no update offered for the build in use');

    // Publish a new build: a changed index.html, and the build step run again.
    const index = join(site.dir, 'index.html');
    writeFileSync(index, readFileSync(index, 'utf8').replace('<title>Image collector</title>', '<title>Image collector (new build)</title>'));
    execFileSync('node', [`${root}scripts/sw-precache.mjs`], { env: { ...process.env, TRUNK_STAGING_DIR: site.dir } });

    await page.goto(site.home);
    await page.waitForSelector('[data-testid=update]', { timeout: 60_000 });
    assert.equal(await page.title(), 'Image collector', 'the old build keeps running until the user agrees');

    await page.click('[data-testid=update]');
    await page.waitForFunction(() => document.title === 'Image collector (new build)', null, { timeout: 30_000, polling: 100 });
    await page.waitForFunction(
      () => document.querySelector('[data-testid=notices]')?.textContent.includes('Restored'),
      null, { timeout: 30_000, polling: 100 },
    );
    assert.equal(await page.isVisible('[data-testid=update]'), false, 'the prompt is gone once updated');
    const afterUpdate = await cacheNames(page);
    assert.ok(!afterUpdate.includes(oldShell), `the old shell cache is deleted (${afterUpdate})`);
    assert.ok(afterUpdate.some((n) => n.startsWith('collector-shell-') && n !== oldShell), `the new shell is cached (${afterUpdate})`);
    assert.equal(await originals(page), stored, 'the originals are kept');
    assert.equal((await counts(page)).collected, 5);
    assert.equal((await thumbnails(page)).length, 5, 'the five tiles draw from the kept originals');
  } finally {
    await context.close();
    await site.app.stop();
    await source.stop();
  }
});

test('the debug build (make run, the other test layers) registers no service worker', async () => {
  const app = await startApp();
  const chromium = await launch();
  try {
    const page = await chromium.newPage();
    await page.goto(`${app.url}/`);
    await page.waitForSelector('[data-testid=collect]');
    assert.equal(await page.evaluate(() => fetch('sw.js').then((r) => r.status)), 200, 'dist/ has an sw.js all the same');
    await page.waitForTimeout(1000);
    assert.deepEqual(await page.evaluate(() => navigator.serviceWorker.getRegistrations().then((r) => r.length)), 0);
    assert.equal(await page.isVisible('[data-testid=update]'), false);
  } finally {
    await chromium.close();
    await app.stop();
  }
});
