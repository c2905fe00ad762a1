// The page runs under a strict Content-Security-Policy: an inline script it
// did not name is refused, and a whole collection (with the panel, the
// detail view and an export) breaks none of its rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appAndBrowser, startSource, statusReaches } from './harness.mjs';

const env = appAndBrowser();

test('a strict CSP: named rules, an injected inline script refused, and no violation while the app works', async () => {
  const source = await startSource(['--count', '40', '--max-side', '600']);
  try {
    const page = await env.browser.newPage();
    await page.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.target?.tagName}.${e.target?.className} ${e.sourceFile}:${e.lineNumber}`));
    });
    await page.goto(`${env.app.url}/?${new URLSearchParams({ provider: 'local', api: source.url, q: '', max: '20', autostart: '1' })}`);
    const policy = await page.getAttribute('meta[http-equiv=Content-Security-Policy]', 'content');
    for (const rule of ["script-src 'self' 'wasm-unsafe-eval' 'sha256-", "img-src 'self' blob: data:", "connect-src 'self' http: https:", "object-src 'none'", "base-uri 'self'"]) {
      assert.ok(policy.includes(rule), `the policy has ${rule}`);
    }
    const scripts = policy.split(';').find((d) => d.trim().startsWith('script-src'));
    assert.ok(!scripts.includes('unsafe-inline') && !scripts.includes('unsafe-eval '), `scripts only by name: ${scripts}`);
    assert.equal(await statusReaches(page, ['Done', 'Stopped'], 60_000), 'Done — 20 collected, 0 failed');
    await page.click('[data-testid=perf-open]');
    await page.waitForFunction(() => document.querySelector('[data-testid=perf-sizes]')?.textContent.includes('worker'), null, { timeout: 10_000 });
    await page.keyboard.press('Escape');
    await page.click('[data-testid=open-detail] >> nth=0');
    await page.waitForSelector('[data-testid=detail-image][data-stage=full]', { timeout: 15_000 });
    await page.keyboard.press('Escape');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-zip]')]);
    assert.match(download.suggestedFilename(), /\.zip$/);
    assert.deepEqual(await page.evaluate(() => window.__violations), [], 'the app itself breaks no rule');

    const ran = await page.evaluate(async () => {
      const s = document.createElement('script');
      s.textContent = 'window.__inline = true';
      document.head.append(s);
      const img = document.createElement('img');
      img.setAttribute('onerror', 'window.__handler = true');
      img.src = 'x:';
      document.body.append(img);
      await new Promise((r) => setTimeout(r, 300));
      return { inline: window.__inline ?? false, handler: window.__handler ?? false, violations: window.__violations.length };
    });
    assert.deepEqual({ inline: ran.inline, handler: ran.handler }, { inline: false, handler: false }, 'neither ran');
    assert.ok(ran.violations >= 1, 'the browser reported the refusal');
    await page.close();
  } finally {
    await source.stop();
  }
});
