// The export's cost (issue: exporting 1 000 images streams; memory stays
// under the cache budget plus 64 MB), measured on the memory part's bounded
// collection (2 000 images, so the ZIP is the size of its originals, over a
// gigabyte): once it is done, it is exported as a ZIP while the page's own
// memory figure (globalThis.__collectorMetrics.total: JS heap + page wasm +
// workers' wasm + thumbnail cache) is sampled every 250 ms.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, round } from './lib.mjs';

const MB = 1024 * 1024;

/**
 * Exports the finished collection open in `page` (a browser profile on disk
 * at `dir`, where the ZIP is saved and then goes with the profile).
 */
export async function measureExport(page, dir, cacheBudgetMb) {
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
  const file = join(dir, 'export.zip');
  await download.saveAs(file);
  const zipMb = statSync(file).size / MB;
  return {
    n: collected, collected, seconds: round(seconds, 1), zip_mb: round(zipMb, 0), mb_s: round(zipMb / seconds, 1),
    baseline_mb: round(baseline / MB, 0), peak_mb: round(peak / MB, 0),
    over_baseline_mb: round((peak - baseline) / MB, 0),
    limit_mb: cacheBudgetMb + 64, within_limit: peak / MB <= cacheBudgetMb + 64,
  };
}
