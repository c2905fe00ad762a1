// Parts of the benchmark that are not measurements: processes, the browser,
// the script installed in every page, statistics, the machine description.
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import os from 'node:os';
import { chromium } from 'playwright-core';

export const root = new URL('../', import.meta.url).pathname;
/** Where cargo puts the builds: CARGO_TARGET_DIR when set, as the tests do. */
export const targetDir = process.env.CARGO_TARGET_DIR || `${root}target`;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Milliseconds since the epoch, sub-millisecond (comparable with the page's). */
export const epochMs = () => performance.timeOrigin + performance.now();

const children = new Set();
function killAll() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { killAll(); process.exit(130); });

/** Starts the debug build's BIN with `--port 0` and waits for its address. */
export async function startProcess(bin, args) {
  const child = spawn(`${targetDir}/debug/${bin}`, [...args, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err = (err + d).slice(-4000); });
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`${bin} ${args.join(' ')} exited with ${code}: ${err}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    args,
    async stop() {
      if (child.exitCode === null) {
        child.kill();
        await once(child, 'exit');
      }
      children.delete(child);
    },
  };
}

/** The local demo source (debug build, as the tests use it) with these flags. */
export async function startSource(args) {
  const s = await startProcess('local-source', args);
  s.stats = async () => (await fetch(`${s.url}/stats`)).json();
  s.reset = async () => (await fetch(`${s.url}/stats/reset`)).json();
  s.listUrl = (max) => `${s.url}/api/urls.txt?max=${max}`;
  return s;
}

/**
 * Requests every image of the source's first `max` (or of the URL list `list`) once (`parallel` at a
 * time), so the source has made and cached them before anything is timed.
 * With `saveDir`, keeps the files there (for the native ceiling). Returns the URLs.
 */
export async function prewarm(source, max, { parallel = 4, saveDir = null, list = null } = {}) {
  const urls = (await (await fetch(list ?? source.listUrl(max))).text()).split('\n').filter(Boolean);
  if (saveDir) {
    rmSync(saveDir, { recursive: true, force: true }); // exactly this list's files
    mkdirSync(saveDir, { recursive: true });
  }
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < urls.length) {
      const url = urls[next++];
      const res = await fetch(url);
      const body = Buffer.from(await res.arrayBuffer());
      if (!res.ok) throw new Error(`prewarm: ${url} answered ${res.status}`);
      bytes += body.length;
      if (saveDir) {
        const file = join(saveDir, basename(new URL(url).pathname));
        writeFileSync(file, body);
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { urls, bytes };
}

/** Runs a program to its end; its output goes to `logFile`. Rejects on a non-zero exit. */
export async function runProgram(cmd, args, { logFile, env = {} } = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.add(child);
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const [code] = await once(child, 'exit');
  children.delete(child);
  if (logFile) writeFileSync(logFile, log);
  if (code !== 0) throw new Error(`${basename(cmd)} exited with ${code}; last output:\n${log.slice(-2000)}`);
  return log;
}

export const chromiumArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run',
  '--enable-precise-memory-info', '--js-flags=--expose-gc',
];

export async function launch() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs, headless: true });
}

/**
 * The page's memory readings, sampled every 250 ms while a collection runs;
 * the run keeps the peak of each field (null fields are not kept). The one
 * place that reads memory: `collector_mb` feeds the `memory` field and the
 * `peak_mb` of `scale`.
 * (Serialised into the page: it must not use anything from this module.)
 */
export function memorySample() {
  const m = globalThis.__collectorMetrics;
  return {
    // Page thread's JS heap only (not the workers', not wasm memory).
    js_heap_mb: globalThis.performance?.memory ? performance.memory.usedJSHeapSize / 1048576 : null,
    // The collector's own figure (src/web/sampler.rs, published once a second):
    // page JS heap + page wasm + workers' wasm + thumbnail cache, or
    // measureUserAgentSpecificMemory() when that is larger.
    collector_mb: m && Number.isFinite(m.total) ? m.total / 1048576 : null,
  };
}

/**
 * Installed in every page before its own scripts (page.addInitScript):
 * long tasks (buffered), frames counted with requestAnimationFrame while a
 * collection runs, when the status line first says Collecting and then
 * Done/Cancelled/Stopped, when the Collect button first exists enabled (tti),
 * when the Cancel button was last clicked (the input event's time stamp, so
 * time the page thread was busy before handling it counts), and peak memory readings.
 * Everything lands in `globalThis.__bench`, in the page's performance.now()
 * (0 = navigation start).
 */
export const pageScript = `(() => {
  const B = globalThis.__bench = { longtasks: [], frames: 0, collectingAt: null, doneAt: null, end: null,
    ttiAt: null, cancelClickEpoch: null, memPeak: {}, longtaskError: null };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) B.longtasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) { B.longtaskError = String(e); }
  const memorySample = ${memorySample.toString()};
  const sample = () => {
    const m = memorySample();
    for (const [k, v] of Object.entries(m)) if (v != null) B.memPeak[k] = Math.max(B.memPeak[k] ?? 0, v);
    // The performance panel's longest chart redraw (one chart per task), when it is open.
    const chart = globalThis.__collectorMetrics?.panel_chart_max_ms;
    if (chart != null) B.redrawMax = Math.max(B.redrawMax ?? 0, chart);
  };
  let timer = null;
  // Counting frames keeps a requestAnimationFrame callback pending, so the
  // browser makes every frame: only the runs that report fps do it.
  const frame = () => {
    if (B.collectingAt !== null && B.doneAt === null) B.frames++;
    requestAnimationFrame(frame);
  };
  if (globalThis.__benchCountFrames) requestAnimationFrame(frame);
  const check = () => {
    if (B.ttiAt === null) {
      const collect = document.querySelector('[data-testid=collect]');
      if (collect && !collect.disabled) B.ttiAt = performance.now();
    }
    const s = document.querySelector('[data-testid=status]')?.textContent ?? '';
    if (B.collectingAt === null && s.startsWith('Collecting')) {
      B.collectingAt = performance.now();
      sample();
      timer = setInterval(sample, 250);
    }
    if (B.collectingAt !== null && B.doneAt === null && /^(Done|Cancelled|Stopped)/.test(s)) {
      B.doneAt = performance.now();
      B.end = s;
      clearInterval(timer);
      sample();
    }
  };
  new MutationObserver(check).observe(document, {
    childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['disabled'],
  });
  addEventListener('click', (e) => {
    if (e.target?.closest?.('[data-testid=cancel]')) B.cancelClickEpoch = performance.timeOrigin + e.timeStamp;
  }, true);
})();`;

/**
 * A fresh context (empty cache, default settings) with the page script
 * installed; `countFrames` for the runs that report fps.
 */
export async function newPage(browser, { countFrames = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  if (countFrames) await context.addInitScript('globalThis.__benchCountFrames = true;');
  await context.addInitScript(pageScript);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log('  [page error]', e.message));
  page.on('console', (m) => { if (m.type() === 'error') console.log('  [page console]', m.text()); });
  page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') console.log('  [worker console]', m.text()); }));
  return { page, close: () => context.close() };
}

export function median(xs) {
  const v = xs.filter((x) => x !== null && x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs, p) {
  const v = [...xs].sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))];
}

/** Deterministic random numbers in [0, 1) (mulberry32). */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const round = (x, digits = 1) => (x === null || x === undefined ? null : Number(x.toFixed(digits)));

export function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? 'unknown';
  const cores = (cpuinfo.match(/^processor\s*:/gm) ?? []).length;
  const mhz = cpuinfo.match(/^cpu MHz\s*:\s*(.*)$/m)?.[1];
  const free = execFileSync('free', ['-m'], { encoding: 'utf8' });
  const memTotal = Number(free.match(/^Mem:\s+(\d+)/m)?.[1]);
  let chromiumVersion = null;
  try { chromiumVersion = execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch {}
  return {
    cpu: model, cores, cpu_mhz: mhz ? Number(mhz) : null, mem_total_mb: memTotal,
    free_m: free.trimEnd(), kernel: os.release(), node: process.version, chromium: chromiumVersion,
    load_at_start: os.loadavg().map((x) => round(x, 2)),
  };
}
