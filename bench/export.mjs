// The export's cost (issue: exporting 1 000 images streams; memory stays
// under the cache budget plus 64 MB): a collection of `n` images is made,
// then exported as a ZIP while the page's own memory figure
// (globalThis.__collectorMetrics.total: JS heap + page wasm + workers' wasm +
// thumbnail cache) is sampled every 250 ms. In a browser profile on disk, as
// a user's is (a throwaway context's storage quota is too small).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumArgs, pageScript, sleep, round } from './lib.mjs';

const MB = 1024 * 1024;

export async function exportRun(app, listUrl, n, cacheBudgetMb = 128) {
  const profile = mkdtempSync(join(tmpdir(), 'collector-export-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', args: chromiumArgs, headless: true, viewport: { width: 1280, height: 900 }, acceptDownloads: true,
  });
  try {
    await context.addInitScript(pageScript);
    const page = await context.newPage();
    await page.goto(`${app.url}/?provider=urls&urls=${encodeURIComponent(listUrl)}&max=${n}&autostart=1`);
    await page.waitForFunction(() => globalThis.__bench.doneAt !== null, null, { timeout: 60_000 + n * 500, polling: 500 });
    const collected = Number(await page.textContent('[data-testid=counts-collected]'));
    await sleep(2_000);
    const reading = () => page.evaluate(() => (globalThis.__collectorMetrics?.total ?? 0));
    const baseline = await reading();
    let peak = baseline;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await reading());
        await sleep(250);
      }
    })();
    const started = performance.now();
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 600_000 }),
      page.click('[data-testid=export-zip]'),
    ]);
    const seconds = (performance.now() - started) / 1000;
    sampling = false;
    await sampler;
    const file = join(profile, 'export.zip');
    await download.saveAs(file);
    const zipMb = statSync(file).size / MB;
    return {
      n, collected, seconds: round(seconds, 1), zip_mb: round(zipMb, 0), mb_s: round(zipMb / seconds, 1),
      baseline_mb: round(baseline / MB, 0), peak_mb: round(peak / MB, 0),
      over_baseline_mb: round((peak - baseline) / MB, 0),
      limit_mb: cacheBudgetMb + 64, within_limit: peak / MB <= cacheBudgetMb + 64,
    };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
