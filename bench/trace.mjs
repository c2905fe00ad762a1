// A Chromium trace of one collection, and what its longest page-thread tasks
// are made of: the profile behind "what limits the longest task".
//
//   node bench/trace.mjs [N]   N photo JPEGs (default 400), release build
//   DEBUG=1 node bench/trace.mjs   the debug build (dist/), whose wasm keeps
//                                  its function names for the CPU profile
//
// Prints the five longest tasks of the page's main thread with their longest
// parts (script, style, layout, paint, GC…) and, from a CPU profile taken at
// the same time, the functions that ran longest inside each; writes the whole
// trace to bench/out/trace.json (open it in Chromium's Performance panel).
import { writeFileSync, mkdirSync } from 'node:fs';
import { root, startProcess, startSource, prewarm, launch, newPage, round } from './lib.mjs';

const N = Number(process.argv[2] || 400);
const OUT = `${root}bench/out`;

async function main() {
  mkdirSync(OUT, { recursive: true });
  const source = await startSource(['--count', String(N), '--seed', '1', '--formats', 'jpeg',
    '--min-side', '1024', '--max-side', '4000', '--cache-mb', '2048']);
  const app = await startProcess('serve-app', ['--dir', `${root}${process.env.DEBUG ? 'dist' : 'dist-release'}`]);
  const browser = await launch();
  try {
    await prewarm(source, N);
    const { page, close } = await newPage(browser);
    const cdp = await page.context().newCDPSession(page);
    const events = [];
    cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
    const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
    await cdp.send('Profiler.start');
    await cdp.send('Tracing.start', {
      transferMode: 'ReportEvents',
      traceConfig: { includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'blink', 'toplevel', 'v8.execute'] },
    });
    await page.goto(`${app.url}/?provider=urls&urls=${encodeURIComponent(source.listUrl(N))}&max=${N}&autostart=1`);
    await page.waitForFunction(() => globalThis.__bench.doneAt !== null, null, { timeout: 60_000 + N * 500, polling: 500 });
    const bench = await page.evaluate(() => globalThis.__bench);
    const dom = await page.evaluate(() => ({ elements: document.querySelectorAll('*').length, thumbs: document.querySelectorAll('[data-testid=thumb]').length }));
    const { profile } = await cdp.send('Profiler.stop');
    await cdp.send('Tracing.end');
    await done;
    await close();
    writeFileSync(`${OUT}/trace.json`, JSON.stringify({ traceEvents: events }));

    // The renderer's main thread: the thread named CrRendererMain of the page's process.
    const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain'
      && events.some((x) => x.pid === e.pid && x.name === 'ParseHTML'));
    const onMain = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X');
    const tasks = onMain.filter((e) => e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask')
      .sort((a, b) => b.dur - a.dur).slice(0, 5);
    console.log(`${N} images, ${round((bench.doneAt - bench.collectingAt) / 1000, 1)} s; long tasks seen by the page: ${bench.longtasks.map(([, d]) => Math.round(d)).join(', ')} ms; DOM at the end: ${dom.elements} elements, ${dom.thumbs} tiles`);
    // Self time per function from the CPU profile, within [from, to] (µs).
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const sampleTimes = [];
    let t = profile.startTime;
    for (const d of profile.timeDeltas) { t += d; sampleTimes.push(t); }
    const hottest = (from, to) => {
      const self = new Map();
      profile.samples.forEach((id, i) => {
        if (sampleTimes[i] < from || sampleTimes[i] > to) return;
        const f = nodes.get(id).callFrame;
        const name = `${f.functionName || '(anonymous)'} ${f.url ? f.url.split('/').pop() : ''}`.trim();
        self.set(name, (self.get(name) ?? 0) + 1);
      });
      const total = [...self.values()].reduce((a, b) => a + b, 0);
      return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP || 6))
        .map(([n, c]) => `${n} ${Math.round((100 * c) / Math.max(1, total))}%`).join('; ');
    };
    console.log(`page thread, whole run: ${hottest(profile.startTime, profile.endTime)}`);
    for (const t of tasks) {
      const inside = onMain.filter((e) => e !== t && e.ts >= t.ts && e.ts + (e.dur ?? 0) <= t.ts + t.dur && e.dur >= 1000);
      // Sum per event name, counting only outermost events of each name.
      const byName = new Map();
      for (const e of inside) {
        const nested = inside.some((o) => o !== e && o.name === e.name && o.ts <= e.ts && o.ts + o.dur >= e.ts + e.dur && o.dur > e.dur);
        if (!nested) byName.set(e.name, (byName.get(e.name) ?? 0) + e.dur);
      }
      const parts = [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8)
        .map(([n, d]) => `${n} ${round(d / 1000, 1)}`).join(', ');
      console.log(`task ${round(t.dur / 1000, 1)} ms: ${parts}\n    hottest: ${hottest(t.ts, t.ts + t.dur)}`);
    }
  } finally {
    await browser.close();
    await app.stop();
    await source.stop();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
