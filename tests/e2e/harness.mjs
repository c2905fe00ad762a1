// Shared parts of the end-to-end tests: real processes, a real browser.
// - startProcess(bin, args): a native binary of target/debug on a free port;
// - startSource(args): the local demo source on a free 127.0.0.1 port;
// - startApp(): the built app (dist/) served by serve-app;
// - launch(): Debian's Chromium, headless, driven by playwright-core.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const root = new URL('../../', import.meta.url).pathname;
// Where cargo put the native binaries (CARGO_TARGET_DIR, as cargo honours it).
const target = process.env.CARGO_TARGET_DIR ?? `${root}target`;

export async function startProcess(bin, args) {
  const child = spawn(`${target}/debug/${bin}`, [...args, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`${bin} exited with ${code} before listening`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    async stop() {
      // Once only: a child killed by a signal keeps exitCode null.
      if (child.exitCode === null && child.signalCode === null) {
        child.kill();
        await once(child, 'exit');
      }
    },
  };
}

/** The local demo source; `args` are its flags (see demo-server/README.md). */
export async function startSource(args = []) {
  const source = await startProcess('local-source', args);
  source.stats = async () => (await fetch(`${source.url}/stats`)).json();
  source.reset = async () => (await fetch(`${source.url}/stats/reset`)).json();
  source.search = async (q, perPage = 100) =>
    (await fetch(`${source.url}/api/search?q=${encodeURIComponent(q)}&per_page=${perPage}`)).json();
  return source;
}

/** The built app (dist/), as `make run` serves it. */
export async function startApp() {
  return startProcess('serve-app', ['--dir', `${root}dist`]);
}

export const chromiumArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run',
  '--enable-precise-memory-info', '--js-flags=--expose-gc',
];

/** Headless Chromium. Worker and page errors are printed so failures explain themselves. */
export async function launch() {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs, headless: true });
  const newPage = async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => console.log('[page error]', e.message));
    page.on('console', (m) => { if (m.type() === 'error') console.log('[page console]', m.text()); });
    page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') console.log('[worker console]', m.text()); }));
    return page;
  };
  return { browser, newPage, close: () => browser.close() };
}

/** Waits until the status line starts with one of `words` (e.g. 'Done'). */
export async function statusReaches(page, words, timeout = 120_000) {
  const list = [].concat(words);
  await page.waitForFunction(
    (list) => {
      const s = document.querySelector('[data-testid=status]')?.textContent ?? '';
      return list.some((w) => s.startsWith(w));
    },
    list,
    { timeout, polling: 100 },
  );
  return page.textContent('[data-testid=status]');
}

/**
 * Scrolls the (virtualized) gallery from top to bottom, one viewport at a time,
 * waits at each step until every collected tile on screen has drawn its
 * thumbnail, and reads each tile's canvas once: size, distinct colours, alpha.
 * Returns them in gallery order. Fails if a visible tile never draws.
 */
export async function thumbnails(page, { stepTimeout = 30_000 } = {}) {
  const seen = new Map();
  await page.evaluate(() => window.scrollTo(0, 0));
  for (;;) {
    await page.waitForFunction(() => {
      const h = window.innerHeight;
      return [...document.querySelectorAll('[data-testid=thumb][data-state=collected]')]
        .filter((t) => { const r = t.getBoundingClientRect(); return r.bottom > 0 && r.top < h; })
        .every((t) => t.dataset.drawn === 'true');
    }, null, { timeout: stepTimeout, polling: 50 });
    const tiles = await page.$$eval('[data-testid=thumb][data-state=collected]', (tiles) => {
      const h = window.innerHeight;
      return tiles
        .filter((t) => { const r = t.getBoundingClientRect(); return r.bottom > 0 && r.top < h; })
        .map((t) => {
          const c = t.querySelector('canvas');
          const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          const colours = new Set();
          for (let i = 0; i < data.length && colours.size < 50; i += 4 * 97) {
            colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
          }
          return { key: t.dataset.key, width: c.width, height: c.height, colours: colours.size, alpha: data[3] };
        });
    });
    for (const t of tiles) if (!seen.has(t.key)) seen.set(t.key, t);
    const atBottom = await page.evaluate(() => {
      const before = window.scrollY;
      window.scrollBy(0, window.innerHeight * 0.9);
      return window.scrollY === before;
    });
    if (atBottom) break;
    await sleep(30);
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  return [...seen.values()].sort((a, b) => Number(a.key) - Number(b.key));
}

export async function counts(page) {
  const read = async (id) => Number(await page.textContent(`[data-testid=counts-${id}]`));
  return {
    collected: await read('collected'), failed: await read('failed'), duplicate: await read('duplicate'),
    filtered: await read('filtered'), cancelled: await read('cancelled'), seen: await read('seen'),
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Registers the file's before/after hooks: one app server and one browser for
 * all the tests of a file. Returns an object whose `app` and `browser` are set
 * once the hooks ran.
 */
export function appAndBrowser() {
  const env = {};
  before(async () => {
    env.app = await startApp();
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.app?.stop();
  });
  return env;
}
