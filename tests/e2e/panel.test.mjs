// The performance panel: it opens by key and by button, its charts draw while
// a collection runs, its memory lines move the banner, its pause control holds
// intake, and its metrics download as CSV (a row per second) and PNG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { appAndBrowser, startSource, statusReaches, sleep } from './harness.mjs';

const env = appAndBrowser();

const link = (source, max, extra = {}) =>
  `${env.app.url}/?${new URLSearchParams({ provider: 'local', api: source.url, q: '', max: String(max), ...extra })}`;

const collectedAtLeast = (page, n, timeout = 60_000) =>
  page.waitForFunction((n) => Number(document.querySelector('[data-testid=counts-collected]')?.textContent) >= n,
    n, { timeout, polling: 50 });

async function setField(page, id, value) {
  const input = page.locator(`[data-testid=${id}]`);
  await input.fill(String(value));
  await input.press('Tab');
}

/** Pixels of a canvas that are not the white background, and how many colours they have. */
const inked = (page, id) => page.$eval(`[data-testid=${id}]`, (c) => {
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let ink = 0;
  const colours = new Set();
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0 && (data[i] < 245 || data[i + 1] < 245 || data[i + 2] < 245)) {
      ink++;
      colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    }
  }
  return { ink, colours: colours.size, url: c.toDataURL() };
});

test('the panel opens with the key p (not while typing) and with its button; Escape closes it', async () => {
  const page = await env.browser.newPage();
  await page.goto(env.app.url);
  await page.waitForSelector('[data-testid=perf-open]');
  await page.fill('[data-testid=query]', '');
  await page.focus('[data-testid=query]');
  await page.keyboard.press('p');
  assert.equal(await page.inputValue('[data-testid=query]'), 'p', 'p typed into a text field is a letter');
  assert.equal(await page.locator('[data-testid=perf-panel]').count(), 0);

  await page.locator('[data-testid=query]').blur();
  await page.keyboard.press('p');
  await page.waitForSelector('[data-testid=perf-panel]');
  assert.equal(await page.getAttribute('[data-testid=perf-open]', 'aria-expanded'), 'true');
  assert.equal(await page.getAttribute('[data-testid=perf-panel]', 'aria-label'), 'Performance panel');
  await page.waitForFunction(() => document.activeElement?.dataset.testid === 'perf-panel', null, { timeout: 2_000 });
  for (const id of ['chart-memory', 'chart-throughput', 'chart-cache', 'chart-workers']) {
    assert.match(await page.getAttribute(`[data-testid=${id}]`, 'aria-label'), /over the last 5 minutes/);
  }

  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=perf-panel]', { state: 'detached', timeout: 2_000 });
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'perf-open', 'focus returns to the button');

  await page.click('[data-testid=perf-open]');
  await page.waitForSelector('[data-testid=perf-panel]');
  await page.click('[data-testid=perf-open]');
  await page.waitForSelector('[data-testid=perf-panel]', { state: 'detached', timeout: 2_000 });
  await page.close();
});

test('while collecting, every chart draws, cheaply, and the figures follow the collection', async () => {
  // 150 ms an answer, 6 at a time from the one host: 500 images take at
  // least 12 s, so the collection still runs when the test cancels it.
  const source = await startSource(['--count', '600', '--latency-ms', '150', '--max-side', '500']);
  try {
    const page = await env.browser.newPage();
    await page.addInitScript(() => {
      window.__longTasks = [];
      new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push(e.duration); })
        .observe({ type: 'longtask' });
    });
    await page.goto(link(source, 500, { autostart: '1' }));
    await page.click('[data-testid=perf-open]');
    await collectedAtLeast(page, 20);
    await sleep(2_500);
    const first = {};
    for (const id of ['chart-memory', 'chart-throughput', 'chart-cache', 'chart-workers']) {
      first[id] = await inked(page, id);
      assert.ok(first[id].ink > 500 && first[id].colours > 3, `${id} has non-blank pixels (${first[id].ink} inked, ${first[id].colours} colours)`);
    }
    await sleep(2_200);
    for (const id of Object.keys(first)) {
      assert.notEqual((await inked(page, id)).url, first[id].url, `${id} was redrawn while collecting`);
    }
    assert.match(await page.textContent('[data-testid=status]'), /^Collecting/);
    assert.ok(Number(await page.textContent('[data-testid=perf-collected]')) >= 20);
    assert.match(await page.textContent('[data-testid=perf-rate]'), /^\d+\.\d images\/s/);
    assert.match(await page.textContent('[data-testid=perf-busy]'), /^\d+%$/);
    assert.match(await page.textContent('[data-testid=perf-sizes]'), /page wasm [\d.]+ [KM]B.*worker wasm [\d.]+ [KM]B/);
    assert.match(await page.textContent('[data-testid=perf-level]'), /^normal$/);
    const { panel_redraw_ms: redraw, panel_chart_max_ms: chart } = await page.evaluate(() => globalThis.__collectorMetrics);
    const longTasks = await page.evaluate(() => window.__longTasks);
    console.log(`# panel redraw ${redraw.toFixed(1)} ms (longest chart ${chart.toFixed(1)} ms); page long tasks while open: ${JSON.stringify(longTasks.map(Math.round))}`);
    assert.ok(chart < 50, `each chart is drawn in its own task, well under a long task (${chart} ms)`);
    await page.click('[data-testid=cancel]');
    await statusReaches(page, 'Cancelled', 10_000);
    await page.close();
  } finally {
    await source.stop();
  }
});

test('a critical line under the reading shows the banner and an alert; raising it clears the banner', async () => {
  const source = await startSource(['--count', '400', '--latency-ms', '50', '--max-side', '600']);
  try {
    const page = await env.browser.newPage();
    await page.goto(link(source, 200, { autostart: '1' }));
    await collectedAtLeast(page, 5);
    await page.keyboard.press('p');
    await page.waitForSelector('[data-testid=perf-panel]');
    await setField(page, 'perf-critical', 2);
    assert.match(await page.textContent('[data-testid=perf-message]'), /warning line was lowered to 1 MB/);
    await page.waitForSelector('[data-testid=banner]', { timeout: 5_000 });
    await statusReaches(page, 'Paused', 5_000);
    await page.waitForFunction(() => /passed the critical line \(2 MB\)/.test(document.querySelector('[data-testid=alert-log]')?.textContent),
      null, { timeout: 3_000 });
    const line = await page.textContent('[data-testid=alert-log] li');
    assert.match(line, /^\d\d:\d\d:\d\d memory \d+ MB passed the critical line \(2 MB\) — memory \d+ MB, [\d.]+ images\/s/);
    assert.match(await page.textContent('[data-testid=toast]'), /passed the critical line/);
    assert.equal(await page.textContent('[data-testid=perf-level]'), 'critical');

    await setField(page, 'perf-critical', 8000);
    assert.match(await page.textContent('[data-testid=perf-message]'), /warning line is back at 400 MB/);
    await page.waitForSelector('[data-testid=banner]', { state: 'detached', timeout: 5_000 });
    await page.waitForFunction(() => /fell below the warning line/.test(document.querySelector('[data-testid=alert-log]')?.textContent),
      null, { timeout: 3_000 });
    assert.equal(await statusReaches(page, ['Done', 'Stopped'], 120_000), 'Done — 200 collected, 0 failed');
    await page.close();
  } finally {
    await source.stop();
  }
});

test('Pause intake holds new downloads until Resume', async () => {
  const source = await startSource(['--count', '400', '--latency-ms', '40', '--max-side', '400']);
  try {
    const page = await env.browser.newPage();
    await page.goto(link(source, 150, { autostart: '1' }));
    await page.click('[data-testid=perf-open]');
    await collectedAtLeast(page, 5);
    await page.click('[data-testid=perf-pause]');
    assert.match(await statusReaches(page, 'Paused', 5_000), /^Paused — intake paused by you/);
    await page.waitForFunction(() => document.querySelector('[data-testid=perf-pause]')?.textContent === 'Resume intake',
      null, { timeout: 3_000 });
    await sleep(1_500); // what was in flight finishes
    const held = (await source.stats()).image_requests;
    await sleep(1_000);
    assert.equal((await source.stats()).image_requests, held, 'no new downloads while paused');
    await page.click('[data-testid=perf-pause]');
    assert.equal(await statusReaches(page, ['Done', 'Stopped'], 120_000), 'Done — 150 collected, 0 failed');
    await page.close();
  } finally {
    await source.stop();
  }
});

test('the metrics download as CSV, a row per second of the run, and a chart as PNG', async () => {
  const source = await startSource(['--count', '300', '--latency-ms', '60', '--max-side', '500']);
  try {
    const page = await env.browser.newPage();
    await page.goto(link(source, 250));
    await page.waitForSelector('[data-testid=collect]:not([disabled])');
    await page.click('[data-testid=collect]');
    const started = await page.evaluate(() => Date.now());
    assert.equal(await statusReaches(page, ['Done', 'Stopped'], 120_000), 'Done — 250 collected, 0 failed');
    const ended = await page.evaluate(() => Date.now());
    await sleep(1_100);
    await page.click('[data-testid=perf-open]');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=perf-csv]')]);
    assert.equal(download.suggestedFilename(), 'collector-metrics.csv');
    const lines = (await readFile(await download.path(), 'utf8')).trim().split('\n');
    const header = lines[0].split(',');
    assert.deepEqual(header.slice(0, 3), ['time_ms', 'js_heap_bytes', 'page_wasm_bytes']);
    assert.ok(header.includes('images_per_s') && header.includes('worker_busy_percent') && header.includes('long_task_ms'));
    const rows = lines.slice(1).map((l) => l.split(','));
    assert.ok(rows.every((r) => r.length === header.length), 'every row has every column');
    const col = (name) => header.indexOf(name);
    const during = rows.filter((r) => Number(r[col('time_ms')]) >= started && Number(r[col('time_ms')]) <= ended + 1_000);
    const seconds = Math.floor((ended - started) / 1000);
    assert.ok(seconds >= 3, `the run lasted a few seconds (${seconds})`);
    assert.ok(during.length >= seconds, `at least a row per second of the run (${during.length} rows for ${seconds} s)`);
    assert.ok(during.some((r) => Number(r[col('images_per_s')]) > 0), 'the rows saw images arrive');
    assert.ok(during.some((r) => Number(r[col('worker_busy_percent')]) > 0), 'the rows saw the workers busy');

    const [png] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=chart-throughput-png]')]);
    assert.equal(png.suggestedFilename(), 'chart-throughput.png');
    const bytes = await readFile(await png.path());
    assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG file');
    await page.close();
  } finally {
    await source.stop();
  }
});

test('the collection under way has its own bar, ETA and Cancel in the panel', async () => {
  const source = await startSource(['--count', '400', '--latency-ms', '60', '--max-side', '500']);
  try {
    const page = await env.browser.newPage();
    await page.goto(link(source, 300, { autostart: '1' }));
    await page.click('[data-testid=perf-open]');
    await collectedAtLeast(page, 5);
    const op = page.locator('[data-testid=operation]', { hasText: 'Collection' });
    await op.waitFor({ timeout: 3_000 });
    assert.match(await op.locator('[data-testid=operation-progress]').textContent(), /^\d+ of 300$/);
    assert.equal(await op.locator('progress').getAttribute('max'), '300');
    await page.waitForFunction(() => /^ETA \d+:\d\d$/.test(document.querySelector('[data-testid=operation-eta]')?.textContent),
      null, { timeout: 5_000 });
    await page.click('[data-testid=op-cancel-collection]');
    assert.match(await statusReaches(page, 'Cancelled', 5_000), /^Cancelled/);
    await page.waitForFunction(() => !/Collection/.test(document.querySelector('[data-testid=perf-operations]')?.textContent),
      null, { timeout: 3_000 });
    await page.close();
  } finally {
    await source.stop();
  }
});
