// Several named collections: each can be opened, renamed or deleted (which
// frees its storage); the storage used and the quota are shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appAndBrowser, startSource, statusReaches, counts } from './harness.mjs';

const env = appAndBrowser();

const names = (page) => page.$$eval('[data-testid=collection] [data-testid=collection-name]', (n) => n.map((x) => x.textContent));
const originals = (page) => page.evaluate(async () => (await (await caches.open('collector-originals-v1')).keys()).length);
const row = (page, name) => page.locator('[data-testid=collection]', { has: page.locator('[data-testid=collection-name]', { hasText: name }) });

test('collections are listed, opened, renamed and deleted; deleting frees their storage', async () => {
  const source = await startSource(['--count', '200', '--max-side', '400']);
  try {
    const page = await env.browser.newPage();
    const collect = async (q, max) => {
      await page.fill('[data-testid=query]', q);
      await page.fill('[data-testid=max]', String(max));
      await page.click('[data-testid=collect]');
      return statusReaches(page, ['Done', 'Stopped'], 60_000);
    };
    await page.goto(`${env.app.url}/?${new URLSearchParams({ provider: 'local', api: source.url })}`);
    await page.waitForSelector('[data-testid=collect]:not([disabled])');
    assert.equal(await collect('lake', 12), 'Done — 12 collected, 0 failed');
    const lake = await counts(page);
    assert.match(await collect('forest', 8), /^Done — \d+ collected/);
    await page.click('[data-testid=collections] summary');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=collection]').length === 2);
    assert.deepEqual(await names(page), ['forest', 'lake'], 'newest first, by their queries');
    assert.match(await page.textContent('[data-testid=storage]'), /^This site stores [\d.]+ [MG]B of the [\d.]+ [MG]B the browser allows\.$/);

    // Open the first: its tiles and counts come back.
    await row(page, 'lake').locator('[data-testid=collection-open]').click();
    await page.waitForFunction(() => /Restored “lake”/.test(document.querySelector('[data-testid=notices]')?.textContent));
    assert.deepEqual(await counts(page), lake);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=thumb][data-state=collected]').length === n, lake.collected);

    // Rename it; the name is kept across a reload.
    await row(page, 'lake').locator('[data-testid=collection-rename]').click();
    await page.fill('[data-testid=collection-name-input]', 'Lakes at dawn');
    await page.press('[data-testid=collection-name-input]', 'Enter');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=collection-name]')].some((n) => n.textContent === 'Lakes at dawn'));
    await page.reload();
    await page.click('[data-testid=collections] summary');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=collection]').length === 2);
    assert.deepEqual((await names(page)).sort(), ['Lakes at dawn', 'forest']);

    // Delete the one not shown: its originals go, the other's stay.
    const before = await originals(page);
    const shown = await page.$eval('[data-testid=collection].shown [data-testid=collection-name]', (n) => n.textContent);
    const other = shown === 'forest' ? 'Lakes at dawn' : 'forest';
    await row(page, other).locator('[data-testid=collection-delete]').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=collection]').length === 1);
    assert.deepEqual(await names(page), [shown]);
    const after = await originals(page);
    assert.ok(after < before, `its originals were deleted (${before} → ${after})`);
    assert.equal(after, (await counts(page)).collected, 'the shown collection keeps every original');
    await page.close();
  } finally {
    await source.stop();
  }
});
