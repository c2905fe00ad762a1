// The memory benchmark of the bounded-memory issue: 2 000 images (mixed
// 0.5–12 Mpx) collected in headless Chromium with the default 128 MB cache
// budget, then again with the cache unbounded as the baseline. Sampled every
// second: the page's JS heap, the wasm memory of page and workers, the cache's
// bytes (all from globalThis.__collectorMetrics, published by
// src/web/sampler.rs) and the RSS of the browser's processes from /proc.
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumArgs, pageScript, sleep, round } from './lib.mjs';
import { measureExport } from './export.mjs';

const MB = 1024 * 1024;

/** RSS (bytes) of the Chromium processes started by this node process, from /proc. */
export function browserRss(rootPid = process.pid) {
  const parent = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const inTree = (pid) => { for (let p = pid; p > 1; p = parent.get(p)) if (p === rootPid) return true; return false; };
  let rss = 0;
  for (const pid of parent.keys()) {
    if (!inTree(pid)) continue;
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('chromium')) continue;
    } catch { continue; }
    try {
      const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
      if (m) rss += Number(m[1]) * 1024;
    } catch { /* gone */ }
  }
  return rss;
}

/**
 * One collection of `n` from the source's URL list with a cache budget (MB),
 * sampled every second. It runs in a browser profile on disk, as a user's is:
 * a throwaway (incognito-like) context's storage quota is too small to keep
 * 2 000 originals, and the app then stops intake, as it should. With
 * `thenExport`, the finished collection is exported too (`export`).
 */
export async function memoryRun(app, source, n, budgetMb, { thenExport = false } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'collector-bench-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', args: chromiumArgs, headless: true, viewport: { width: 1280, height: 900 }, acceptDownloads: true,
  });
  await context.addInitScript(pageScript);
  const page = await context.newPage();
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    await page.addInitScript((s) => localStorage.setItem('collector.settings', JSON.stringify(s)),
      { cache_budget_mb: budgetMb, max_images: n });
    const link = `${app.url}/?provider=urls&urls=${encodeURIComponent(source.listUrl(n))}&max=${n}&autostart=1`;
    await page.goto(link);
    const samples = [];
    const started = Date.now();
    for (;;) {
      await sleep(1000);
      const s = await page.evaluate(() => ({
        m: globalThis.__collectorMetrics ?? null,
        collected: Number(document.querySelector('[data-testid=counts-collected]')?.textContent ?? 0),
        status: document.querySelector('[data-testid=status]')?.textContent ?? '',
      }));
      if (s.m) {
        samples.push({
          t: (Date.now() - started) / 1000,
          collected: s.collected,
          js_heap: s.m.js_heap_used, page_wasm: s.m.page_wasm, workers_wasm: s.m.workers_wasm, cache: s.m.cache_bytes,
          rss: browserRss(),
        });
      }
      if (/^(Done|Cancelled|Stopped)/.test(s.status)) break;
      if (Date.now() - started > 1_200_000) throw new Error(`memory run of ${n} did not finish in 20 minutes (${s.status})`);
    }
    const seconds = (Date.now() - started) / 1000;
    const end = await page.textContent('[data-testid=status]');
    return { samples, seconds, end, export: thenExport ? await measureExport(page, profile, budgetMb) : null };
  } finally {
    await close();
  }
}

/** JS heap + wasm (page and workers) + the cache's bitmaps, in bytes. */
const held = (s) => s.js_heap + s.page_wasm + s.workers_wasm + s.cache;

/** The `memory` fields from a bounded run and an unbounded one. */
export function memoryFields(bounded, unbounded, n, budgetMb) {
  const peak = Math.max(...bounded.samples.map(held));
  const atHalf = bounded.samples.find((s) => s.collected >= n / 2) ?? bounded.samples[0];
  const last = bounded.samples.at(-1);
  const worstExcess = Math.max(0, ...bounded.samples.map((s) => s.cache - budgetMb * MB));
  const peakOf = (run, f) => Math.max(...run.samples.map(f));
  return {
    n,
    cache_budget_mb: budgetMb,
    peak_mb: round(peak / MB, 1),
    slope_pct: round(((held(last) - held(atHalf)) / peak) * 100, 1),
    cache_over_budget: worstExcess > 0 ? round(worstExcess / MB, 1) : false,
    unbounded_peak_mb: round(peakOf(unbounded, held) / MB, 1),
    rss_peak_mb: round(peakOf(bounded, (s) => s.rss) / MB, 0),
    unbounded_rss_peak_mb: round(peakOf(unbounded, (s) => s.rss) / MB, 0),
    peak_parts_mb: (() => {
      const s = bounded.samples.reduce((a, b) => (held(b) > held(a) ? b : a));
      return { js_heap: round(s.js_heap / MB, 1), page_wasm: round(s.page_wasm / MB, 1),
        workers_wasm: round(s.workers_wasm / MB, 1), cache: round(s.cache / MB, 1) };
    })(),
    seconds: round(bounded.seconds, 0),
    end: bounded.end,
    reading: 'peak_mb = max over 1 s samples of page JS heap + page wasm + workers wasm + thumbnail cache bitmaps; slope_pct = (last sample - sample at n/2 collected) / peak; RSS = the browser process tree from /proc',
  };
}
