// Export and import: a collection leaves the browser as a ZIP (its originals,
// a manifest with a row per candidate, attribution) that `unzip -t` accepts,
// and comes back from it with the same items and the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appAndBrowser, startSource, statusReaches, thumbnails, counts } from './harness.mjs';

const env = appAndBrowser();

/** The shown (latest) collection's records, and the SHA-256 of each stored original, from the page. */
const stored = (page) => page.evaluate(async () => {
  const db = await new Promise((ok, bad) => { const r = indexedDB.open('collector'); r.onsuccess = () => ok(r.result); r.onerror = bad; });
  const all = (store) => new Promise((ok) => { const r = db.transaction(store).objectStore(store).getAll(); r.onsuccess = () => ok(r.result.map((j) => JSON.parse(j))); });
  const latest = Math.max(...(await all('collections')).map((c) => c.id));
  const items = (await all('items')).filter((i) => i.collection === latest);
  const cache = await caches.open('collector-originals-v1');
  const hashes = {};
  for (const i of items.filter((i) => i.status === 'collected')) {
    const r = await cache.match(`https://originals.invalid/${i.collected.sha256}`);
    const digest = r ? new Uint8Array(await crypto.subtle.digest('SHA-256', await r.arrayBuffer())) : null;
    hashes[i.id] = digest && [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
  }
  return { items: items.map((i) => ({ id: i.id, status: i.status, url: i.candidate.url, sha: i.collected?.sha256 ?? null })).sort((a, b) => a.id - b.id), hashes };
});

async function download(page, testid, dir) {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click(`[data-testid=${testid}]`)]);
  const path = join(dir, file.suggestedFilename());
  await file.saveAs(path);
  return path;
}

test('export → import: unzip -t passes, a manifest row per candidate, the same items and bytes come back', async () => {
  const source = await startSource(['--count', '80', '--min-side', '200', '--max-side', '900', '--fault-rate', '0.2', '--faults', '404']);
  const dir = mkdtempSync(join(tmpdir(), 'collector-export-'));
  try {
    const page = await env.browser.newPage();
    await page.goto(`${env.app.url}/?${new URLSearchParams({ provider: 'local', api: source.url, q: '', max: '40', autostart: '1' })}`);
    assert.match(await statusReaches(page, ['Done', 'Stopped'], 60_000), /^Done — \d+ collected, \d+ failed/);
    const shown = await counts(page);
    assert.ok(shown.collected > 20 && shown.failed > 0, `some collected (${shown.collected}), some failed (${shown.failed})`);
    const before = await stored(page);

    const zip = await download(page, 'export-zip', dir);
    assert.match(zip, /\.zip$/);
    execFileSync('unzip', ['-tq', zip]); // throws unless every entry tests good
    const names = execFileSync('unzip', ['-Z1', zip]).toString().trim().split('\n');
    for (const n of ['manifest.jsonl', 'manifest.csv', 'ATTRIBUTION.md']) assert.ok(names.includes(n), `${n} is in the ZIP`);
    const images = names.filter((n) => n.startsWith('images/'));
    assert.equal(images.length, shown.collected, 'one file per collected image');
    const rows = execFileSync('unzip', ['-p', zip, 'manifest.jsonl']).toString().trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows.length, before.items.length, 'one manifest row per candidate, of every state');
    assert.equal(rows.filter((r) => r.status === 'success').length, shown.collected);
    assert.equal(rows.filter((r) => r.status === 'failed_to_download').length, shown.failed);
    for (const r of rows.filter((r) => r.status === 'failed_to_download')) assert.match(r.error_message, /404/);
    for (const r of rows.filter((r) => r.file)) {
      const bytes = execFileSync('unzip', ['-p', zip, r.file], { maxBuffer: 64 << 20 });
      assert.equal(createHash('sha256').update(bytes).digest('hex'), r.sha256, `${r.file} is the original its row names`);
      assert.equal(r.original_width > 0 && r.original_height > 0, true);
    }
    const csv = execFileSync('unzip', ['-p', zip, 'manifest.csv']).toString().trim().split('\r\n');
    assert.equal(csv.length, rows.length + 1);
    assert.match(csv[0], /^key,url,status,error_message,width,height,original_width,original_height,sha256,title,creator,license,license_url,source_page,provider/);
    const credits = execFileSync('unzip', ['-p', zip, 'ATTRIBUTION.md']).toString();
    assert.equal(credits.split('\n').filter((l) => l.startsWith('- `images/')).length, shown.collected);
    assert.match(credits, /\[“[^”]+”\]\(<http:\/\/127\.0\.0\.1:\d+\/pages\/\d+>\) by .+ is licensed under \[CC/);

    const urls = readFileSync(await download(page, 'export-urls', dir), 'utf8').trim().split('\r\n');
    assert.equal(urls[0], 'url,caption');
    assert.equal(urls.length - 1, new Set(before.items.map((i) => i.url)).size, 'every candidate URL once');

    await page.click('[data-testid=clear]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=thumb]').length === 0);
    await page.setInputFiles('[data-testid=import-zip]', zip);
    await page.waitForFunction(() => /Imported/.test(document.querySelector('[data-testid=notices]')?.textContent), null, { timeout: 60_000 });
    const after = await stored(page);
    assert.deepEqual(after.items, before.items, 'the same items, states and hashes');
    for (const i of after.items.filter((i) => i.status === 'collected')) {
      assert.equal(after.hashes[i.id], i.sha, `the original of ${i.id} is back, byte for byte`);
    }
    assert.deepEqual(await counts(page), shown);
    const thumbs = await thumbnails(page);
    assert.equal(thumbs.length, shown.collected);
    assert.ok(thumbs.every((t) => t.colours > 1), 'the imported tiles draw from their originals');
    await page.close();
  } finally {
    await source.stop();
  }
});

test('a file that is not an exported ZIP is refused with a sentence, and nothing is kept of it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'collector-import-'));
  const page = await env.browser.newPage();
  await page.goto(env.app.url);
  await page.waitForSelector('[data-testid=collect]:not([disabled])');
  const bogus = join(dir, 'holiday.zip');
  execFileSync('sh', ['-c', `echo 'not a zip' > ${bogus}`]);
  await page.setInputFiles('[data-testid=import-zip]', bogus);
  await page.waitForFunction(() => /could not be imported/.test(document.querySelector('[data-testid=notices]')?.textContent), null, { timeout: 30_000 });
  assert.match(await page.textContent('[data-testid=notices]'), /holiday\.zip could not be imported: it is not a ZIP this app exported/);
  const kept = await page.evaluate(async () => {
    const db = await new Promise((ok) => { const r = indexedDB.open('collector'); r.onsuccess = () => ok(r.result); });
    return new Promise((ok) => { const r = db.transaction('collections').objectStore('collections').getAll(); r.onsuccess = () => ok(r.result.map((j) => JSON.parse(j).name)); });
  });
  assert.ok(!kept.includes('holiday'), 'the failed import left no collection behind');
  await page.close();
});
