// `make bench`: measurements of the release build in headless Chromium
// against the local demo source, side by side with img2dataset and the
// machine's native ceiling. Never pass/fail; not part of `make test`; not for CI.
//
//   BENCH_RUNS=N   runs per figure, the median is reported (default 3)
//   BENCH_QUICK=1  every workload about 10x smaller; writes to bench/out/
//                  instead of bench/results.json and BENCHMARKS.md
//   BENCH_ONLY=a,b only these parts (size, throughput, scale, cancel, decode, memory); for
//                  development, writes to bench/out/ too
//
// Expects what `make bench` builds first: dist-release/ (make dist),
// target/debug/{local-source,serve-app} (make demo-server). Makes bench/venv with
// img2dataset 1.47.0 itself, while the first images are made.
import { readdirSync, readFileSync, writeFileSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import {
  root, targetDir, sleep, epochMs, startProcess, startSource, prewarm, runProgram, launch, newPage,
  median, percentile, seededRandom, round, machine,
} from './lib.mjs';
import { writeReports, printTable } from './report.mjs';
import { memoryRun, memoryFields } from './memory.mjs';
import { originalsRun, thumbsRun } from './storage.mjs';
import { breakdown } from './wasm_breakdown.mjs';

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS || 3));
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : null;
const QUICK = process.env.BENCH_QUICK === '1';
const DIV = QUICK ? 10 : 1;
const RELEASE_DIST = `${root}dist-release`;
const OUT = `${root}bench/out`;
const VENV = `${root}bench/venv`;

// The workloads.
const N = 1000 / DIV; // throughput and responsiveness
const PHOTO = { min: 1024, max: 4000 }; // long side: 1024x768 .. 4000x3000
// The photo list of throughput, responsiveness and cancel is spread over this
// many hosts (127.0.0.1 .. 127.0.0.8, the source listening on each with
// --hosts), as a real URL list over many hosts is: with one host the app's
// per-host politeness cap would limit it first. img2dataset gets the same list.
const HOSTS = 8;
// The scale points, all on one set of small images (4 000 photo-sized ones
// would not fit the time budget), so their times compare.
const BIG_N = 4000 / DIV;
// Runs of the parts without a headline target (scale, decode, panel,
// storage): the median of two, so a full run fits its 20 minutes.
const FEW_RUNS = Math.min(RUNS, 2);
const BIG_SIDES = { min: 256, max: 512 };
const SCALE_NS = [250 / DIV, 1000 / DIV, BIG_N];
const CANCELS = QUICK ? 4 : 20;
const CANCEL_LATENCY_MS = 50;
const CANCEL_MAX = 1000; // candidates of each cancelled collection (more than it gets through in 3 s)
const CANCEL_SEED = 20240601;
const THUMB = 256;
// The memory run of the bounded-memory issue: 2 000 images, 0.5-12 Mpx.
const MEMORY_N = 2000 / DIV;
const MEMORY_SIDES = { min: 820, max: 4000 }; // 820x615 = 0.5 Mpx .. 4000x3000 = 12 Mpx
const MEMORY_BUDGET_MB = 128;
const UNBOUNDED_MB = 4096; // the largest budget the settings take
// Decode paths compared on the same images.
const DECODE_N = 150 / DIV;
const PANEL_N = 200 / DIV;
const STORAGE_N = 100 / DIV;
const THUMBS_N = 500 / DIV;

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const log = (...a) => console.log(`[bench ${elapsed()}]`, ...a);

const sourceFlags = (count, sides, extra = []) => [
  '--count', String(count), '--seed', '1', '--formats', 'jpeg',
  '--min-side', String(sides.min), '--max-side', String(sides.max), '--cache-mb', '2048', ...extra,
];

// ---------------------------------------------------------------- our page

/** The workers' stage profiles (`globalThis.__collectorProfile`, core::profile) of a page. */
async function workerProfiles(page) {
  const all = await Promise.all(page.workers().map((w) => w.evaluate(() => globalThis.__collectorProfile ?? null).catch(() => null)));
  return all.filter(Boolean);
}

/**
 * The workers' profiles as one: ms per image of each stage, each stage's
 * share of the workers' time over `seconds`, and the synchronous spans.
 */
function mergeProfiles(list, seconds) {
  if (!list.length) return null;
  const items = list.reduce((a, p) => a + p.items, 0);
  const totals = {};
  for (const p of list) for (const [stage, ms] of p.ms) totals[stage] = (totals[stage] ?? 0) + ms;
  const perImage = Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, round(v / Math.max(1, items), 1)]));
  const syncPerImage = round(['check', 'decode', 'hash'].reduce((a, k) => a + totals[k], 0) / Math.max(1, items), 1);
  const workerMs = list.length * seconds * 1000;
  return {
    workers: list.length, items, per_image_ms: perImage, sync_per_image_ms: syncPerImage,
    share_of_worker_time_pct: seconds ? Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, round((100 * v) / workerMs, 1)])) : null,
    // If the workers did nothing but their synchronous work, each on its own core.
    sync_ceiling_img_s: syncPerImage ? round((list.length * 1000) / syncPerImage, 1) : null,
    sync_p50_ms: round(Math.max(...list.map((p) => p.sync_p50_ms)), 1),
    sync_p95_ms: round(Math.max(...list.map((p) => p.sync_p95_ms)), 1),
    sync_max_ms: round(Math.max(...list.map((p) => p.sync_max_ms)), 1),
  };
}

/**
 * One collection of `n` from a URL list, deep-linked with autostart; timed in
 * the page. `countFrames` for the runs whose fps is reported (throughput).
 */
async function pageCollection(browser, app, listUrl, n, settings = null, { panel = false, countFrames = false } = {}) {
  const { page, close } = await newPage(browser, { countFrames });
  try {
    if (settings) await page.addInitScript((s) => localStorage.setItem('collector.settings', JSON.stringify(s)), settings);
    const link = `${app.url}/?provider=urls&urls=${encodeURIComponent(listUrl)}&max=${n}&autostart=1`;
    await page.goto(link);
    if (panel) {
      await page.click('[data-testid=perf-open]');
      await page.waitForSelector('[data-testid=perf-panel]');
    }
    await page.waitForFunction(() => globalThis.__bench.doneAt !== null, null,
      { timeout: 60_000 + n * 500, polling: 500 });
    const b = await page.evaluate(() => globalThis.__bench);
    const count = async (id) => Number(await page.textContent(`[data-testid=counts-${id}]`));
    const collected = await count('collected');
    const failed = await count('failed');
    const seconds = (b.doneAt - b.collectingAt) / 1000;
    const during = b.longtasks.filter(([s, d]) => s + d > b.collectingAt && s < b.doneAt).map(([, d]) => d);
    const profile = mergeProfiles(await workerProfiles(page), seconds);
    if (!b.end.startsWith('Done') || collected !== n) {
      console.log(`  note: expected ${n} collected, status "${b.end}", ${collected} collected, ${failed} failed`);
    }
    return {
      n, collected, failed, seconds: round(seconds, 2), img_s: round(collected / seconds, 1),
      longest_task_ms: during.length ? Math.max(...during) : 0,
      long_task_total_ms: during.reduce((a, d) => a + d, 0),
      long_tasks: during.length,
      fps: countFrames ? round(b.frames / seconds, 1) : null,
      js_heap_peak_mb: round(b.memPeak.js_heap_mb ?? null, 1),
      collector_peak_mb: round(b.memPeak.collector_mb ?? null, 1),
      longtask_error: b.longtaskError,
      profile,
      ...(panel ? { longest_redraw_ms: round(b.redrawMax ?? null, 1) } : {}),
    };
  } finally {
    await close();
  }
}

// ---------------------------------------------------------------- peers

/** bench/venv with img2dataset 1.47.0 (and its OpenCV, for the native limit), made if missing. */
async function peerVenv() {
  if (existsSync(`${VENV}/bin/img2dataset`)) return;
  const t = performance.now();
  // --no-compile: byte-compiling its packages took CPU from the image making.
  await runProgram('sh', ['-c', `python3 -m venv ${VENV} && ${VENV}/bin/pip install -q --no-compile img2dataset==1.47.0`],
    { logFile: `${OUT}/venv.log` });
  log(`venv: img2dataset 1.47.0 installed in ${round((performance.now() - t) / 1000, 0)} s`);
}

/**
 * The source's image requests in flight during one run, read from its /stats
 * (reset just before the run): the most at once to any one host (address
 * 127.0.0.k:PORT), the most at once in all, and the hosts asked.
 */
function inFlightOf(st) {
  const byHost = Object.values(st.max_image_in_flight_by_host ?? {});
  return {
    max_in_flight_per_host: byHost.length ? Math.max(...byHost) : 0,
    max_in_flight_total: st.max_image_in_flight,
    hosts_asked: byHost.length,
  };
}

/** img2dataset 1.47.0 on the same URL list; its own stats give the time. */
async function img2datasetRun(listFile, n) {
  const out = `${OUT}/img2dataset-run`;
  rmSync(out, { recursive: true, force: true }); // it skips finished shards otherwise
  const t0 = performance.now();
  await runProgram(`${VENV}/bin/img2dataset`, [
    '--url_list', listFile, '--input_format', 'txt', '--output_folder', out,
    '--resize_mode', 'keep_ratio', '--image_size', String(THUMB),
    '--processes_count', '2', '--thread_count', '16', '--number_sample_per_shard', '100',
    '--output_format', 'files',
  ], { logFile: `${OUT}/img2dataset.log`, env: { WANDB_MODE: 'disabled' } });
  const wall = (performance.now() - t0) / 1000;
  const stats = readdirSync(out).filter((f) => f.endsWith('_stats.json'))
    .map((f) => JSON.parse(readFileSync(join(out, f), 'utf8')));
  const successes = stats.reduce((a, s) => a + s.successes, 0);
  const seconds = Math.max(...stats.map((s) => s.end_time)) - Math.min(...stats.map((s) => s.start_time));
  if (successes !== n) console.log(`  note: img2dataset: ${successes} of ${n} succeeded (see bench/out/img2dataset.log)`);
  return { n, successes, seconds: round(seconds, 2), wall_seconds: round(wall, 2),
    img_s: round(successes / seconds, 1), wall_img_s: round(successes / wall, 1) };
}

/** Native decode at thumbnail scale of the same files, one process per core. */
async function nativeLimit(dir) {
  const outp = await runProgram(`${VENV}/bin/python`, [
    `${root}bench/native_limit.py`, dir, '--size', String(THUMB), '--procs', String(os.cpus().length), '--runs', String(RUNS),
  ]);
  const r = JSON.parse(outp.trim().split('\n').pop());
  return r.runs.map((s) => ({ n: r.n, seconds: round(s, 2), img_s: round(r.n / s, 1) }));
}

// ---------------------------------------------------------------- cancel

/**
 * CANCELS collections of the photos, each image answered after CANCEL_LATENCY_MS; each
 * is cancelled at a seeded random point 0.3..3 s after Collect (at the first
 * moment from then on that the source has an image request in flight). /stats is
 * polled every 5 ms from just before the Cancel click; the time is from the
 * click (the page's click event) to the poll from which on the source reports
 * no image request in flight (the middle of that poll's round trip).
 */
async function cancelRuns(browser, app, source) {
  const random = seededRandom(CANCEL_SEED);
  const { page, close } = await newPage(browser);
  const samples = [];
  let profile = null;
  try {
    const slowList = source.spreadList(CANCEL_MAX, `&latency_ms=${CANCEL_LATENCY_MS}`);
    await page.goto(`${app.url}/?provider=urls&urls=${encodeURIComponent(slowList)}&max=${CANCEL_MAX}`);
    await page.waitForFunction(() => globalThis.__bench.ttiAt !== null, null, { timeout: 30_000 });
    for (let i = 0; i < CANCELS; i++) {
      const delay = 300 + random() * 2700;
      await source.reset();
      await page.click('[data-testid=collect]');
      const clicked = performance.now();
      await page.waitForFunction(() => !document.querySelector('[data-testid=cancel]').disabled, null, { timeout: 10_000, polling: 10 });
      // A plain mouse click at the button's centre: Playwright's locator
      // click checks actionability first, which takes longer than a request.
      const box = await page.locator('[data-testid=cancel]').boundingBox();
      await sleep(Math.max(0, delay - 100 - (performance.now() - clicked)));
      // Poll /stats every 5 ms from 100 ms before the click until 300 ms after Cancelled.
      const polls = [];
      let polling = true;
      const poller = (async () => {
        while (polling) {
          const sent = epochMs();
          const st = await source.stats();
          polls.push({ at: (sent + epochMs()) / 2, inFlight: st.image_in_flight, requests: st.image_requests });
          await sleep(5);
        }
      })();
      await sleep(Math.max(0, delay - (performance.now() - clicked)));
      // The workers download in bursts between decodes: wait for the next
      // moment with an image request in flight (at most 3 s), so every
      // sample measures aborting real requests.
      const waitUntil = performance.now() + 3000;
      while (!(polls.at(-1)?.inFlight > 0) && performance.now() < waitUntil) await sleep(2);
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      await page.waitForFunction(
        () => (document.querySelector('[data-testid=status]')?.textContent ?? '').startsWith('Cancelled'),
        null, { timeout: 10_000, polling: 20 });
      const clickEpoch = await page.evaluate(() => globalThis.__bench.cancelClickEpoch);
      // Wait until in flight has been 0 for 300 ms (at most 30 s).
      const until = performance.now() + 30_000;
      while (performance.now() < until) {
        const busy = polls.findLast((p) => p.inFlight > 0);
        if (!busy || (polls.at(-1).at - busy.at > 300 && polls.at(-1).at > clickEpoch + 300)) break;
        await sleep(20);
      }
      polling = false;
      await poller;
      const atClick = polls.findLast((p) => p.at <= clickEpoch) ?? polls[0];
      const after = polls.filter((p) => p.at > clickEpoch);
      const lastBusy = after.findLastIndex((p) => p.inFlight > 0);
      const zero = after[lastBusy + 1] ?? null;
      // Nothing in flight at the click or after it: 0. Otherwise up to the poll from
      // which on nothing is in flight (an upper bound by at most one poll).
      const ms = zero === null ? null : lastBusy < 0 && atClick.inFlight === 0 ? 0 : zero.at - clickEpoch;
      samples.push({
        delay_ms: Math.round(delay), in_flight_at_click: atClick.inFlight, requested_before: atClick.requests,
        ms: round(ms, 1), polls: polls.length,
        requests_after_click: zero ? zero.requests - atClick.requests : null,
        requests_after_zero: zero ? polls.at(-1).requests - zero.requests : null,
      });
      log(`  cancel ${i + 1}/${CANCELS}: after ${Math.round(delay)} ms, ${atClick.inFlight} in flight -> 0 in ${round(ms, 1)} ms`);
    }
    profile = mergeProfiles(await workerProfiles(page), 0);
  } finally {
    await close();
  }
  const ms = samples.map((s) => s.ms).filter((x) => x !== null);
  const busy = samples.filter((s) => s.in_flight_at_click > 0 && s.ms !== null).map((s) => s.ms);
  return {
    count: samples.length, latency_ms: CANCEL_LATENCY_MS, seed: CANCEL_SEED, hosts: HOSTS,
    p50_ms: round(percentile(ms, 50), 1), p95_ms: round(percentile(ms, 95), 1), max_ms: round(Math.max(...ms), 1),
    with_requests_in_flight: busy.length,
    busy_p50_ms: round(percentile(busy, 50), 1), busy_p95_ms: round(percentile(busy, 95), 1),
    never_reached_zero: samples.length - ms.length,
    requests_after_click: samples.reduce((a, s) => a + (s.requests_after_click ?? 0), 0),
    requests_after_zero: samples.reduce((a, s) => a + (s.requests_after_zero ?? 0), 0),
    // How long a worker could not hear the Cancel: its synchronous spans
    // (check + decode + hash of one image) during these runs.
    worker_sync_p50_ms: profile?.sync_p50_ms ?? null,
    worker_sync_p95_ms: profile?.sync_p95_ms ?? null,
    worker_sync_max_ms: profile?.sync_max_ms ?? null,
    samples,
  };
}

// ---------------------------------------------------------------- size, tti

function gzKb(file) {
  return gzipSync(readFileSync(file), { level: 9 }).length / 1024;
}

function sizes(dir) {
  const files = readdirSync(dir);
  const app = files.filter((f) => /^app-[0-9a-f]+(_bg\.wasm|\.js)$/.test(f));
  const worker = files.filter((f) => /^worker(_bg\.wasm|\.js|_loader\.js)$/.test(f));
  if (app.length !== 2 || worker.length < 2) throw new Error(`unexpected files in ${dir}: ${files.join(', ')}`);
  const per = Object.fromEntries([...app, ...worker].map((f) => [f.replace(/-[0-9a-f]{16}/, '-HASH'), round(gzKb(join(dir, f)), 1)]));
  const sum = (list) => round(list.reduce((a, f) => a + gzKb(join(dir, f)), 0), 1);
  // What the page's code is made of, from cargo's release build (it keeps
  // the names that wasm-bindgen and wasm-opt drop).
  let code = null;
  try {
    const b = breakdown(`${targetDir}/wasm32-unknown-unknown/release/app.wasm`);
    code = { ...b, by_crate: b.by_crate.slice(0, 12), note: 'cargo release build of the page, before wasm-bindgen and wasm-opt; code bytes of function bodies by the crate their name starts with' };
  } catch (e) {
    code = { error: String(e.message || e) };
  }
  return { app_gz_kb: sum(app), worker_gz_kb: sum(worker), files_gz_kb: per, app_code: code };
}

async function tti(browser, app) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const { page, close } = await newPage(browser);
    try {
      await page.goto(`${app.url}/`);
      await page.waitForFunction(() => globalThis.__bench.ttiAt !== null, null, { timeout: 30_000 });
      runs.push(await page.evaluate(() => globalThis.__bench.ttiAt));
    } finally {
      await close();
    }
  }
  return runs;
}

// ---------------------------------------------------------------- main

async function main() {
  mkdirSync(OUT, { recursive: true });
  for (const need of [`${RELEASE_DIST}/index.html`, `${targetDir}/debug/local-source`, `${targetDir}/debug/serve-app`]) {
    if (!existsSync(need)) throw new Error(`${need} is missing: run \`make bench\` (it builds and installs what the benchmark needs)`);
  }
  const results = {
    date: new Date().toISOString(),
    command: [process.env.BENCH_QUICK ? `BENCH_QUICK=${process.env.BENCH_QUICK}` : null,
      process.env.BENCH_RUNS ? `BENCH_RUNS=${process.env.BENCH_RUNS}` : null,
      process.env.BENCH_ONLY ? `BENCH_ONLY=${process.env.BENCH_ONLY}` : null,
      process.env.MAKELEVEL ? 'make bench' : 'node bench/run.mjs'].filter(Boolean).join(' '),
    quick: QUICK, runs: RUNS, few_runs: FEW_RUNS, build: 'release (make dist: trunk build --release, wasm-opt of npm binaryen@132.0.0), served by serve-app',
    machine: machine(),
    throughput: null, decode: null, decode_note: 'not measured yet',
    memory: null, memory_note: 'not measured yet',
    responsiveness: null, cancel: null, size: null, scale: null, panel: null, panel_note: 'not measured yet', storage: null, storage_note: 'not measured yet', export: null, export_note: 'not measured yet',
    errors: [],
  };
  // A part named in BENCH_ONLY (or every part) runs; its inner steps
  // (img2dataset, the native limit) run with it (`inner`).
  const attempt = async (name, fn, inner = false) => {
    if (!inner && ONLY && !ONLY.includes(name)) return;
    try { await fn(); } catch (e) {
      console.log(`[bench] ${name} FAILED: ${e.stack || e}`);
      results.errors.push(`${name}: ${String(e.message || e).split('\n')[0]}`);
    }
  };
  log(`runs=${RUNS}${QUICK ? ', quick (workloads / 10)' : ''}; load ${results.machine.load_at_start.join(' ')}`);

  // img2dataset's venv installs (a minute or two from PyPI) while the
  // library is made; nothing is timed until it is ready.
  const venv = peerVenv();
  venv.catch(() => {});
  const browser = await launch();
  const app = await startProcess('serve-app', ['--dir', RELEASE_DIST]);
  try {
    await attempt('size', async () => {
      const s = sizes(RELEASE_DIST);
      const runs = await tti(browser, app);
      results.size = { ...s, tti_ms: round(median(runs), 0), tti_runs_ms: runs.map((x) => round(x, 0)) };
      log(`size: app ${s.app_gz_kb} KB gz, worker ${s.worker_gz_kb} KB gz, tti ${results.size.tti_ms} ms`);
    });

    // One library of photo-like JPEGs, made once: the memory part collects
    // all of it (0.5-12 Mpx) and exports it; the photo list, its images of
    // long side PHOTO.min and more, serves throughput, responsiveness, cancel,
    // decode and storage (each takes its first n).
    const filesDir = `${OUT}/files-jpeg-${N}-${PHOTO.min}-${PHOTO.max}`;
    let photos = null;
    const photoSource = async () => {
      if (photos) return photos;
      const source = await startSource(sourceFlags(MEMORY_N, MEMORY_SIDES, ['--hosts', String(HOSTS)]));
      source.photoList = (n, extra = '') => `${source.listUrl(n)}&min_side=${PHOTO.min}${extra}`;
      // The same images in the same order, the i-th on 127.0.0.(1 + i mod HOSTS).
      source.spreadList = (n, extra = '') => source.photoList(n, `&hosts=${HOSTS}${extra}`);
      const t = performance.now();
      const { urls, bytes } = await prewarm(source, N, { list: source.photoList(N), saveDir: filesDir });
      // Then the rest, so the memory part's runs only collect.
      const all = await prewarm(source, MEMORY_N);
      log(`prewarm: ${all.urls.length} images (${round(all.bytes / 2 ** 20, 0)} MB) made in ${round((performance.now() - t) / 1000, 1)} s`);
      // The spread list: exactly the files prewarmed (and saved for the native limit).
      const spreadUrls = (await (await fetch(source.spreadList(N))).text()).split('\n').filter(Boolean);
      const path = (u) => new URL(u).pathname;
      if (spreadUrls.length !== urls.length || spreadUrls.some((u, i) => path(u) !== path(urls[i]))) {
        throw new Error(`the list spread over ${HOSTS} hosts is not the prewarmed photo list (${spreadUrls.length} and ${urls.length} URLs)`);
      }
      const hostsSeen = new Set(spreadUrls.map((u) => new URL(u).host)).size;
      if (hostsSeen !== Math.min(HOSTS, spreadUrls.length)) throw new Error(`the spread list names ${hostsSeen} hosts, not ${HOSTS}`);
      photos = { source, urls, spreadUrls, bytes };
      return photos;
    };
    // The small JPEGs of the scale points; the panel takes its first PANEL_N.
    let big = null;
    const bigSource = async () => {
      if (big) return big;
      const source = await startSource(sourceFlags(BIG_N, BIG_SIDES));
      const t = performance.now();
      const { bytes } = await prewarm(source, BIG_N);
      log(`prewarm: ${BIG_N} images (${round(bytes / 2 ** 20, 0)} MB) made in ${round((performance.now() - t) / 1000, 1)} s`);
      big = { source };
      return big;
    };
    const scale = [];
    await attempt('throughput', async () => {
      const { source, spreadUrls, bytes } = await photoSource();
      await venv.catch(() => {}); // a failed install fails img2dataset and the limit below, not ours
      {
        // img2dataset's list: the same spread list our page is given.
        const listFile = `${OUT}/urls-${N}.txt`;
        writeFileSync(listFile, `${spreadUrls.join('\n')}\n`);

        const ours = [];
        for (let i = 0; i < RUNS; i++) {
          await source.reset();
          const run = await pageCollection(browser, app, source.spreadList(N), N, null, { countFrames: true });
          ours.push({ ...run, source: inFlightOf(await source.stats()) });
          log(`ours ${i + 1}/${RUNS}: ${JSON.stringify(ours.at(-1))}`);
        }
        const peer = [];
        await attempt('img2dataset', async () => {
          await venv;
          for (let i = 0; i < RUNS; i++) {
            await source.reset();
            const run = await img2datasetRun(listFile, N);
            peer.push({ ...run, source: inFlightOf(await source.stats()) });
            log(`img2dataset ${i + 1}/${RUNS}: ${JSON.stringify(peer.at(-1))}`);
          }
        }, true);
        let limit = [];
        await attempt('limit', async () => {
          await venv;
          limit = await nativeLimit(filesDir);
          log(`native limit: ${JSON.stringify(limit)}`);
        }, true);
        const oursImgS = median(ours.map((r) => r.img_s));
        const peerImgS = median(peer.map((r) => r.img_s));
        const most = (runs, field) => (runs.length ? Math.max(...runs.map((r) => r.source[field])) : null);
        // The app's default per-host cap (core::settings), for the text.
        const cap = Number(readFileSync(`${root}src/core/settings.rs`, 'utf8').match(/per_host_cap: (\d+),/)?.[1]) || null;
        results.throughput = {
          n: N, images: `JPEG only, long side ${PHOTO.min}..${PHOTO.max} px (${PHOTO.min}x768 .. ${PHOTO.max}x3000), ${round(bytes / 2 ** 20, 0)} MB`,
          hosts: HOSTS,
          list: `the photo list spread over ${HOSTS} hosts, 127.0.0.1–127.0.0.${HOSTS} (one source listening on each, same port: \`--hosts ${HOSTS}\`, \`/api/urls.txt?max=${N}&min_side=${PHOTO.min}&hosts=${HOSTS}\`, the i-th image on 127.0.0.(1 + i mod ${HOSTS})), for our page and img2dataset alike; the app's per-host cap is ${cap ?? '?'} (its default)`,
          per_host_cap: cap,
          // The most image requests the source saw in flight at once, over our runs
          // (its stats reset before each run and read after it): to any one host, in all.
          max_in_flight_per_host: most(ours, 'max_in_flight_per_host'),
          max_in_flight_total: most(ours, 'max_in_flight_total'),
          img2dataset_max_in_flight_per_host: most(peer, 'max_in_flight_per_host'),
          img2dataset_max_in_flight_total: most(peer, 'max_in_flight_total'),
          thumbnail_px: THUMB,
          ours_img_s: oursImgS, img2dataset_img_s: peerImgS,
          ratio: oursImgS && peerImgS ? round(oursImgS / peerImgS, 2) : null,
          limit_img_s: median(limit.map((r) => r.img_s)),
          img2dataset_wall_img_s: median(peer.map((r) => r.wall_img_s)),
          // The workers' stage profile of the run with the median throughput.
          profile: [...ours].sort((a, b) => a.img_s - b.img_s)[Math.floor(ours.length / 2)]?.profile ?? null,
          runs: { ours, img2dataset: peer, limit },
        };
        results.responsiveness = {
          n: N, hosts: HOSTS,
          longest_task_ms: round(median(ours.map((r) => r.longest_task_ms)), 0),
          long_task_total_ms: round(median(ours.map((r) => r.long_task_total_ms)), 0),
          fps: round(median(ours.map((r) => r.fps)), 1),
        };
      }
    });

    await attempt('scale', async () => {
      const { source } = await bigSource();
      for (const n of SCALE_NS) {
        const runs = [];
        for (let i = 0; i < FEW_RUNS; i++) {
          runs.push(await pageCollection(browser, app, source.listUrl(n), n));
          log(`scale ${n} ${i + 1}/${FEW_RUNS}: ${runs.at(-1).seconds} s`);
        }
        scale.push({
          n, seconds: round(median(runs.map((r) => r.seconds)), 2), img_s: round(median(runs.map((r) => r.img_s)), 1),
          peak_mb: median(runs.map((r) => r.collector_peak_mb)),
          js_heap_peak_mb: round(median(runs.map((r) => r.js_heap_peak_mb)), 1),
          images: `JPEG, long side ${BIG_SIDES.min}..${BIG_SIDES.max} px`,
        });
      }
    });
    results.scale = scale.length ? scale : null;

    await attempt('cancel', async () => {
      results.cancel = await cancelRuns(browser, app, (await photoSource()).source);
      log(`cancel: p50 ${results.cancel.p50_ms} ms, p95 ${results.cancel.p95_ms} ms`);
    });

    await attempt('decode', async () => {
      const { source } = await photoSource();
      {
        // The four paths alternate, so a drift in the machine's load touches each.
        const runs = { image_decoder: [], wasm: [], browser: [], scaled: [] };
        for (let i = 0; i < FEW_RUNS; i++) {
          for (const decoder of Object.keys(runs)) {
            // The spread list: the per-host cap must not limit what the decoders can do.
            runs[decoder].push(await pageCollection(browser, app, source.spreadList(DECODE_N), DECODE_N, { decoder }));
            log(`decode ${decoder} ${i + 1}/${FEW_RUNS}: ${runs[decoder].at(-1).img_s} img/s`);
          }
        }
        const rate = (d) => round(median(runs[d].map((r) => r.img_s)), 1);
        const paths = {
          image_decoder: rate('image_decoder'), image_crate: rate('wasm'), create_image_bitmap: rate('browser'), scaled_jpeg: rate('scaled'),
        };
        const [best, bestImgS] = Object.entries(paths).sort((a, b) => b[1] - a[1])[0];
        const runnerUp = Object.values(paths).sort((a, b) => b - a)[1];
        results.decode = {
          n: DECODE_N, images: `JPEG, long side ${PHOTO.min}..${PHOTO.max} px, spread over ${HOSTS} hosts`,
          image_decoder_img_s: paths.image_decoder,
          image_crate_img_s: paths.image_crate, create_image_bitmap_img_s: paths.create_image_bitmap,
          scaled_jpeg_img_s: paths.scaled_jpeg,
          default: best,
          // The app's own default (core::decode::DecodePath's #[default]), to check the winner against.
          app_default: { image_decoder: 'image_decoder', wasm: 'image_crate', browser: 'create_image_bitmap', scaled: 'scaled_jpeg' }[
            readFileSync(`${root}src/core/decode.rs`, 'utf8').match(/#\[default\]\s*#\[serde\(rename = "(\w+)"\)\]/)?.[1]] ?? null,
          image_decoder_vs_scaled_jpeg: paths.scaled_jpeg ? round(paths.image_decoder / paths.scaled_jpeg, 2) : null,
          speedup: runnerUp ? round(bestImgS / runnerUp, 2) : null,
          how: 'whole collections from the same local source (download + decode + thumbnail), all workers, the Decoder setting switched (image_decoder = the browser\'s WebCodecs ImageDecoder at reduced DCT scale, wasm = the image crate at full size, browser = createImageBitmap with resize, scaled = jpeg-decoder at 1/2..1/8 scale then a resize), runs alternated',
        };
        delete results.decode_note;
      }
    });

    await attempt('panel', async () => {
      const { source } = await bigSource();
      {
        const closed = [];
        const open = [];
        for (let i = 0; i < FEW_RUNS; i++) { // alternated, so a drift in the machine's load touches both
          closed.push(await pageCollection(browser, app, source.listUrl(PANEL_N), PANEL_N));
          open.push(await pageCollection(browser, app, source.listUrl(PANEL_N), PANEL_N, null, { panel: true }));
          log(`panel ${i + 1}/${FEW_RUNS}: closed ${closed.at(-1).img_s} img/s, open ${open.at(-1).img_s} img/s, longest redraw ${open.at(-1).longest_redraw_ms} ms`);
        }
        const closedImgS = median(closed.map((r) => r.img_s));
        const openImgS = median(open.map((r) => r.img_s));
        results.panel = {
          n: PANEL_N, images: `JPEG, long side ${BIG_SIDES.min}..${BIG_SIDES.max} px`,
          closed_img_s: closedImgS, open_img_s: openImgS,
          throughput_drop_pct: closedImgS ? round((100 * (closedImgS - openImgS)) / closedImgS, 1) : null,
          longest_redraw_task_ms: Math.max(...open.map((r) => r.longest_redraw_ms ?? 0)),
          longest_task_open_ms: Math.max(...open.map((r) => r.longest_task_ms)),
          longest_task_closed_ms: Math.max(...closed.map((r) => r.longest_task_ms)),
          how: 'the same collection with the panel closed and open, runs alternated; a redraw draws one chart per task, and the longest chart draw seen is the longest redraw task',
        };
        delete results.panel_note;
      }
    });
    await big?.source.stop();

    await attempt('storage', async () => {
      const urls = (await photoSource()).urls.slice(0, STORAGE_N);
      {
        const originals = [];
        for (let i = 0; i < FEW_RUNS; i++) originals.push(await originalsRun(app, urls));
        const med = (store, field) => round(median(originals.map((o) => o[store][field])), 0);
        const thumbs = await thumbsRun(app, THUMBS_N);
        results.storage = {
          originals: {
            n: STORAGE_N, mb: round(originals[0].mb, 0), images: `JPEG, long side ${PHOTO.min}..${PHOTO.max} px`,
            cache_storage: { write_ms: med('cache_storage', 'write_ms'), read_ms: med('cache_storage', 'read_ms') },
            opfs: { write_ms: med('opfs', 'write_ms'), read_ms: med('opfs', 'read_ms') },
            how: 'all written at once then all read back, from the page (async APIs: Cache.put/match, OPFS createWritable/getFile), a fresh profile on disk per run',
          },
          thumbs: { ...thumbs, how: 'each thumbnail made from RGBA and shown (ImageBitmap drawn on a canvas, or PNG blob → object URL → <img>.decode()), all held, then released; RSS of the browser processes, one run' },
        };
        delete results.storage_note;
        log(`storage: ${JSON.stringify(results.storage)}`);
      }
    });

    // The export is measured on the memory part's bounded collection, once it is done.
    await attempt(ONLY?.includes('export') ? 'export' : 'memory', async () => {
      // The library's images were all made when it started, and kept (2 048 MB
      // holds them): made during a run, they slowed the app to a third.
      const { source } = await photoSource();
      {
        const bounded = await memoryRun(app, source, MEMORY_N, MEMORY_BUDGET_MB, { thenExport: true });
        log(`memory (budget ${MEMORY_BUDGET_MB} MB): ${bounded.samples.length} samples, ${bounded.end}`);
        results.export = { ...bounded.export, images: `JPEG, long side ${MEMORY_SIDES.min}..${MEMORY_SIDES.max} px (0.5-12 Mpx)`,
          how: 'the memory part\'s bounded collection (cache budget 128 MB), once done, exported; the page\'s memory figure sampled every 250 ms during the export' };
        delete results.export_note;
        log(`export: ${JSON.stringify(results.export)}`);
        const unbounded = await memoryRun(app, source, MEMORY_N, UNBOUNDED_MB);
        log(`memory (unbounded): ${unbounded.samples.length} samples, ${unbounded.end}`);
        results.memory = memoryFields(bounded, unbounded, MEMORY_N, MEMORY_BUDGET_MB);
        results.memory.images = `JPEG, long side ${MEMORY_SIDES.min}..${MEMORY_SIDES.max} px (0.5-12 Mpx); one run each (it takes minutes)`;
        delete results.memory_note;
        log(`memory: ${JSON.stringify(results.memory)}`);
      }
    });
    await photos?.source.stop();
  } finally {
    await app.stop();
    await browser.close();
  }

  results.machine.load_at_end = os.loadavg().map((x) => round(x, 2));
  results.seconds = Math.round((Date.now() - started) / 1000);
  if (results.errors.length === 0) delete results.errors;
  // A partial run (BENCH_ONLY) keeps the other parts of the last full results,
  // each part saying which run it came from.
  const PARTS = ['throughput', 'decode', 'memory', 'responsiveness', 'cancel', 'size', 'scale', 'panel', 'storage', 'export'];
  // Measured together: responsiveness with throughput, export with memory.
  const together = { responsiveness: ['throughput'], export: ['memory'], memory: ['export'] };
  results.part_dates = Object.fromEntries(PARTS.filter((p) => !ONLY || ONLY.includes(p) || (together[p] ?? []).some((q) => ONLY.includes(q)))
    .map((p) => [p, results.date]));
  const previousFile = `${root}bench/results.json`;
  if (ONLY && !QUICK && existsSync(previousFile)) {
    const previous = JSON.parse(readFileSync(previousFile, 'utf8'));
    for (const p of PARTS) {
      if (results.part_dates[p]) continue;
      results[p] = previous[p] ?? null;
      if (previous[`${p}_note`]) results[`${p}_note`] = previous[`${p}_note`];
      else delete results[`${p}_note`];
      results.part_dates[p] = previous.part_dates?.[p] ?? previous.date;
    }
  }
  const where = writeReports(results, { quick: QUICK, root });
  printTable(results);
  console.log(`\n[bench] wrote ${where.join(' and ')} in ${results.seconds} s`);
}

main().catch((e) => {
  console.error(e.stack || e);
  process.exit(1);
});
