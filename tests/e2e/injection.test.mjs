// Provider text is text: a catalog whose every text field carries <script>,
// <img onerror> and javascript: links is collected, shown in the gallery and
// the detail view, and exported, and nothing in it ever runs or links.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appAndBrowser, startSource, statusReaches } from './harness.mjs';

const env = appAndBrowser();
const evil = (field) => `${field}<script>window.__pwned=(window.__pwned||[]).concat('${field}')</script><img src=x onerror="window.__pwned=(window.__pwned||[]).concat('${field}-img')">`;

test('hostile provider text never runs and never becomes a link', async () => {
  const source = await startSource(['--count', '20', '--max-side', '500']);
  const urls = (await (await fetch(`${source.url}/api/urls.txt?max=6`)).text()).trim().split('\n');
  const catalog = {
    name: evil('name'),
    images: urls.map((url, i) => ({
      id: i, url, title: evil(`title${i}`), tags: [evil('tag')], creator: evil('creator'),
      license: evil('license'), license_url: 'javascript:window.__pwned=["license_url"]',
      source_page: i % 2 ? 'javascript:window.__pwned=["page"]' : 'data:text/html,<script>alert(1)</script>',
    })),
  };
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
    res.end(JSON.stringify(catalog));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'collector-injection-'));
  try {
    const page = await env.browser.newPage();
    const dialogs = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
    await page.goto(`${env.app.url}/?${new URLSearchParams({ catalog: `http://127.0.0.1:${server.address().port}/c.json`, autostart: '1' })}`);
    assert.equal(await statusReaches(page, ['Done', 'Stopped'], 60_000), 'Done — 6 collected, 0 failed');
    // The title shows as the text it is.
    const title = await page.getAttribute('[data-testid=thumb] >> nth=0', 'title');
    assert.match(title, /^title\d<script>/);
    await page.click('[data-testid=open-detail] >> nth=0');
    await page.waitForSelector('[data-testid=detail-credits]');
    const credits = await page.textContent('[data-testid=detail-credits]');
    assert.match(credits, /creator<script>/);
    const hrefs = await page.$$eval('[data-testid=detail] a', (as) => as.map((a) => a.getAttribute('href')));
    assert.ok(hrefs.every((h) => /^https?:\/\//.test(h)), `only http(s) links: ${hrefs}`);
    assert.equal(await page.$$eval('main script, main img', (n) => n.length), 0, 'no element was made from provider text');
    await page.keyboard.press('Escape');
    // The export carries the text escaped, and links only http(s).
    const [file] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-zip]')]);
    const zip = join(dir, 'x.zip');
    await file.saveAs(zip);
    const md = execFileSync('unzip', ['-p', zip, 'ATTRIBUTION.md']).toString();
    assert.ok(!/\]\((<)?(javascript|data):/.test(md), 'no javascript: or data: link in ATTRIBUTION.md');
    assert.ok(!md.includes('<script>'), 'no raw tag in ATTRIBUTION.md');
    assert.equal(await page.evaluate(() => window.__pwned ?? null), null, 'nothing ran');
    assert.deepEqual(dialogs, []);
    await page.close();
  } finally {
    server.close();
    await source.stop();
  }
});
