// The benchmark's outputs: bench/results.json, BENCHMARKS.md and the table
// printed at the end of a run.
import { writeFileSync, mkdirSync, readFileSync, existsSync } from 'node:fs';

// What limits each target not yet met, as found by a profile (bench/limits.json,
// kept by hand beside the figures it explains).
const limitsFile = new URL('./limits.json', import.meta.url);
const LIMITS = existsSync(limitsFile) ? JSON.parse(readFileSync(limitsFile, 'utf8')) : {};

/**
 * What limits a target, from this run's own profiles where it has them (the
 * workers' stage times, their synchronous spans, the page's code by crate);
 * otherwise the note kept in bench/limits.json.
 */
function measuredLimit(name, r) {
  const p = r.throughput?.profile;
  if (name.startsWith('throughput ratio') && p) {
    const ms = p.per_image_ms;
    const need = r.throughput.img2dataset_img_s ? Math.round(1.5 * r.throughput.img2dataset_img_s) : null;
    return `Profile of the median run, from the workers' own stage clocks (core::profile): per image, ${p.workers} workers spent `
      + `${ms.decode} ms decoding, ${ms.hash} ms hashing and ${ms.check} ms checking — ${p.sync_per_image_ms} ms holding their thread — `
      + `plus ${ms.download} ms downloading, ${ms.wait} ms waiting for a host slot, ${ms.store_original} ms storing the original and ${ms.store_record} ms its record (asynchronous: other items overlap them). `
      + `The synchronous work alone caps ${p.workers} workers at ${p.sync_ceiling_img_s} img/s if each had a core to itself; the browser's own threads (network, storage, the page) share the same ${r.machine.cores} cores. `
      + `The target needs ${need ?? '?'} img/s. Decoding dominates: the same files decode at ${r.throughput.limit_img_s} img/s natively (libjpeg-turbo, SIMD), and jpeg-decoder in wasm (no SIMD) does the same work several times slower.`;
  }
  if (name === 'cancel p95' && r.cancel?.worker_sync_p95_ms != null) {
    const c = r.cancel;
    return `A worker hears a Cancel only between synchronous spans (check + decode + hash of one image, measured in the workers during these cancel runs): `
      + `p50 ${c.worker_sync_p50_ms} ms, p95 ${c.worker_sync_p95_ms} ms, longest ${c.worker_sync_max_ms} ms. Its downloads in flight are aborted when it next runs, so the p95 is about the worst decode in hand plus the source noticing the closed connection.`;
  }
  if (name === 'page wasm + JS, gzip' && r.size?.app_code?.by_crate) {
    const k = r.size.app_code;
    return `Code by crate (function bytes of cargo's release build, before wasm-opt; ${Math.round(k.total_code_bytes / 1024)} KB of code, ${Math.round(k.data_bytes / 1024)} KB of data): `
      + `${k.by_crate.slice(0, 8).map((c) => `${c.crate} ${c.share_pct} %`).join(', ')}.`;
  }
  return LIMITS[name] ?? null;
}

const fmt = (v, unit = '') => (v === null || v === undefined ? 'not measured yet' : `${v}${unit}`);

/** The targets of the issue: [name, value, test, text]. */
function targets(r) {
  const scalePeaks = r.scale?.map((s) => s.peak_mb).filter((x) => x !== null && x !== undefined) ?? [];
  const peak = r.memory?.peak_mb != null ? [r.memory.peak_mb] : scalePeaks;
  return [
    ['throughput ratio (ours / img2dataset)', r.throughput?.ratio ?? null, (v) => v >= 1.5, '≥ 1.5'],
    ['longest task during a 1 000-image run', r.responsiveness?.longest_task_ms ?? null, (v) => v <= 50, '≤ 50 ms', ' ms'],
    ['cancel p95', r.cancel?.p95_ms ?? null, (v) => v <= 100, '≤ 100 ms', ' ms'],
    ['page wasm + JS, gzip', r.size?.app_gz_kb ?? null, (v) => v <= 300, '≤ 300 KB', ' KB'],
    ['peak memory (memory run)', peak.length ? Math.max(...peak) : null, (v) => v <= 300, '≤ 300 MB', ' MB'],
    ['memory slope over the last half', r.memory?.slope_pct ?? null, (v) => v <= 5, '≤ 5 %', ' %'],
    ['throughput drop with the panel open', r.panel?.throughput_drop_pct ?? null, (v) => v <= 5, '≤ 5 %', ' %'],
    ['longest redraw task', r.panel?.longest_redraw_task_ms ?? null, (v) => v <= 50, '≤ 50 ms', ' ms'],
    [`page memory while exporting ${(r.export?.n ?? 1000).toLocaleString('en').replace(',', ' ')} images`, r.export?.peak_mb ?? null, (v) => v <= (r.export?.limit_mb ?? 192), `≤ ${r.export?.limit_mb ?? 192} MB (cache budget + 64)`, ' MB'],
    ['cache never over budget', r.memory ? (r.memory.cache_over_budget === false ? 'never over' : `${r.memory.cache_over_budget} MB over`) : null, (v) => v === 'never over', 'never'],
  ].map(([name, value, ok, target, unit = '']) => ({
    name, target, value: value === null ? 'not measured yet' : `${value}${unit}`,
    status: value === null ? 'not measured yet' : ok(value) ? 'met' : 'not met',
  }));
}

/** Rows of the summary table: [section, measure, value]. */
function rows(r) {
  const t = r.throughput;
  const out = [];
  if (t) {
    out.push(['throughput', `ours (${t.n} JPEGs, all workers)`, fmt(t.ours_img_s, ' img/s')]);
    out.push(['', 'img2dataset 1.47.0 (its own stats)', fmt(t.img2dataset_img_s, ' img/s')]);
    out.push(['', 'img2dataset, process wall time', fmt(t.img2dataset_wall_img_s, ' img/s')]);
    out.push(['', 'ratio ours / img2dataset', fmt(t.ratio)]);
    out.push(['', 'limit: native reduced decode, all cores', fmt(t.limit_img_s, ' img/s')]);
    if (t.hosts != null) {
      out.push(['', `hosts the list is spread over (127.0.0.1–${t.hosts}; our per-host cap ${t.per_host_cap ?? '?'})`, String(t.hosts)]);
      out.push(['', 'most image requests in flight, to one host / in all: ours', `${fmt(t.max_in_flight_per_host)} / ${fmt(t.max_in_flight_total)}`]);
      out.push(['', 'the same for img2dataset', `${fmt(t.img2dataset_max_in_flight_per_host)} / ${fmt(t.img2dataset_max_in_flight_total)}`]);
    }
  } else out.push(['throughput', '', 'failed (see errors)']);
  const d = r.decode;
  if (d) {
    if (d.image_decoder_img_s !== undefined) {
      out.push(['decode', `the browser's ImageDecoder at reduced scale in the worker (${d.n} JPEGs)`, fmt(d.image_decoder_img_s, ' img/s')]);
      out.push(['', 'ImageDecoder / jpeg-decoder at reduced scale', fmt(d.image_decoder_vs_scaled_jpeg, '×')]);
    }
    out.push([d.image_decoder_img_s !== undefined ? '' : 'decode', `image crate in the worker (${d.n} JPEGs)`, fmt(d.image_crate_img_s, ' img/s')]);
    out.push(['', 'createImageBitmap with resize in the worker', fmt(d.create_image_bitmap_img_s, ' img/s')]);
    out.push(['', 'jpeg-decoder at reduced scale (DCT scaling) in the worker', fmt(d.scaled_jpeg_img_s, ' img/s')]);
    out.push(['', 'default (the fastest; × the runner-up)', `${d.default} (${fmt(d.speedup, '×')})`]);
  } else out.push(['decode', '', r.decode_note ?? 'failed']);
  const mem = r.memory;
  if (mem) {
    out.push(['memory', `peak, ${mem.n} images, cache budget ${mem.cache_budget_mb} MB`, `${mem.peak_mb} MB (JS heap ${mem.peak_parts_mb.js_heap}, page wasm ${mem.peak_parts_mb.page_wasm}, workers wasm ${mem.peak_parts_mb.workers_wasm}, cache ${mem.peak_parts_mb.cache})`]);
    out.push(['', 'growth over the last half, % of peak', fmt(mem.slope_pct, ' %')]);
    out.push(['', 'cache over budget', mem.cache_over_budget === false ? 'never' : `${mem.cache_over_budget} MB at worst`]);
    out.push(['', 'peak with the cache unbounded', fmt(mem.unbounded_peak_mb, ' MB')]);
    out.push(['', 'browser RSS peak (bounded / unbounded)', `${mem.rss_peak_mb} MB / ${mem.unbounded_rss_peak_mb} MB`]);
  } else out.push(['memory', '', r.memory_note ?? 'failed']);
  const q = r.responsiveness;
  out.push(['responsiveness', 'longest task', q ? fmt(q.longest_task_ms, ' ms') : 'failed']);
  out.push(['', 'long tasks, total', q ? fmt(q.long_task_total_ms, ' ms') : 'failed']);
  out.push(['', 'frames (requestAnimationFrame)', q ? fmt(q.fps, ' fps') : 'failed']);
  const c = r.cancel;
  out.push(['cancel', `p50 (${c?.count ?? 0} cancels, source latency ${c?.latency_ms ?? 50} ms)`, c ? fmt(c.p50_ms, ' ms') : 'failed']);
  out.push(['', 'p95', c ? fmt(c.p95_ms, ' ms') : 'failed']);
  if (c) {
    out.push(['', 'requests in flight at the click', `${c.with_requests_in_flight} of ${c.count} (p50 ${fmt(c.busy_p50_ms, ' ms')}, p95 ${fmt(c.busy_p95_ms, ' ms')} of those)`]);
    out.push(['', 'image requests started after the click / after 0', `${c.requests_after_click} / ${c.requests_after_zero}`]);
  }
  const s = r.size;
  out.push(['size', 'page wasm + JS, gzip -9', s ? fmt(s.app_gz_kb, ' KB') : 'failed']);
  out.push(['', 'worker wasm + JS, gzip -9', s ? fmt(s.worker_gz_kb, ' KB') : 'failed']);
  out.push(['', 'navigation start to Collect enabled', s ? fmt(s.tti_ms, ' ms') : 'failed']);
  for (const e of r.scale ?? []) {
    out.push(['scale', `${e.n} images${e.note && e.n !== r.throughput?.n ? ' (smaller images)' : ''}${e.images && !e.note ? ` (${e.images.replace('JPEG, ', '')})` : ''}`,
      `${e.seconds} s, ${e.img_s} img/s, peak ${fmt(e.peak_mb, ' MB')}, page JS heap peak ${fmt(e.js_heap_peak_mb, ' MB')}`]);
  }
  if (!r.scale) out.push(['scale', '', 'failed']);
  const p = r.panel;
  if (p) {
    out.push(['panel', `panel closed (${p.n} JPEGs)`, fmt(p.closed_img_s, ' img/s')]);
    out.push(['', 'panel open', fmt(p.open_img_s, ' img/s')]);
    out.push(['', 'throughput drop with the panel open', fmt(p.throughput_drop_pct, ' %')]);
    out.push(['', 'longest redraw task (one chart)', fmt(p.longest_redraw_task_ms, ' ms')]);
    out.push(['', 'longest page task, panel open / closed', `${fmt(p.longest_task_open_ms, ' ms')} / ${fmt(p.longest_task_closed_ms, ' ms')}`]);
  } else out.push(['panel', '', r.panel_note ?? 'failed']);
  const o = r.storage?.originals;
  if (o) {
    out.push(['storage', `Cache Storage: write / read ${o.n} originals (${o.mb} MB)`, `${o.cache_storage.write_ms} ms / ${o.cache_storage.read_ms} ms`]);
    out.push(['', 'OPFS: write / read the same', `${o.opfs.write_ms} ms / ${o.opfs.read_ms} ms`]);
    const th = r.storage.thumbs;
    for (const [way, label] of [['image_bitmap', 'ImageBitmap'], ['object_url', 'object URL + <img>']]) {
      out.push(['', `${label}: ${th.n} thumbnails of ${th.side} px`, `${th[way].make_ms_each} ms each; RSS +${th[way].held_rss_mb} MB held, +${th[way].after_release_rss_mb} MB after release`]);
    }
  } else out.push(['storage', '', r.storage_note ?? 'failed']);
  const x = r.export;
  if (x) {
    out.push(['export', `ZIP of ${x.collected} images (${x.zip_mb} MB)`, `${x.seconds} s, ${x.mb_s} MB/s`]);
    out.push(['', 'page memory during the export: peak (before)', `${x.peak_mb} MB (${x.baseline_mb} MB); limit ${x.limit_mb} MB: ${x.within_limit ? 'within' : 'over'}`]);
  } else out.push(['export', '', r.export_note ?? 'failed']);
  return out;
}

function textTable(header, body) {
  const all = [header, ...body];
  const w = header.map((_, i) => Math.max(...all.map((row) => String(row[i]).length)));
  const line = (row) => row.map((c, i) => String(c).padEnd(w[i])).join('  ');
  return [line(header), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}

const mdTable = (header, body) =>
  [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`,
    ...body.map((row) => `| ${row.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`)].join('\n');

export function printTable(r) {
  console.log(`\nBenchmark (${r.runs} runs each, ${r.few_runs ?? r.runs} for scale/decode/panel/storage, medians${r.quick ? '; QUICK: workloads / 10' : ''}) — ${r.date}`);
  console.log(`${r.machine.cpu}, ${r.machine.cores} cores; load ${r.machine.load_at_start.join(' ')} at start, ${r.machine.load_at_end.join(' ')} at end\n`);
  console.log(textTable(['', 'measure', 'value'], rows(r)));
  console.log('');
  console.log(textTable(['target', 'goal', 'value', 'status'], targets(r).map((t) => [t.name, t.target, t.value, t.status])));
  if (r.errors) console.log(`\nerrors: ${r.errors.join('; ')}`);
}

/** The profiles behind the limits: the workers' stages and the page's code by crate. */
function profiles(r) {
  const p = r.throughput?.profile;
  const k = r.size?.app_code;
  let out = '';
  if (p) {
    const stages = Object.keys(p.per_image_ms);
    out += `\n## Where the workers' time goes\n\nThe median throughput run (${p.items} images, ${p.workers} workers), from each worker's stage clocks (\`core::profile\`, published as \`__collectorProfile\`). Check, decode and hash run on the worker's thread and hold it; the other stages are waits during which the worker's other items go on, so the shares add up to more than 100 %.\n\n`;
    out += mdTable(['stage', 'ms per image', 'share of the workers\' time'], stages.map((st) => [st, p.per_image_ms[st], `${p.share_of_worker_time_pct?.[st] ?? '?'} %`]));
    out += `\n\nSynchronous span per image (check + decode + hash): p50 ${p.sync_p50_ms} ms, p95 ${p.sync_p95_ms} ms, longest ${p.sync_max_ms} ms.\n`;
  }
  if (k?.by_crate) {
    out += `\n## What the page's code is made of\n\n${k.note}: ${Math.round(k.total_code_bytes / 1024)} KB of code in ${k.functions} functions, ${Math.round(k.data_bytes / 1024)} KB of data.\n\n`;
    out += mdTable(['crate', 'code KB', 'share'], k.by_crate.map((c) => [c.crate, Math.round(c.bytes / 1024), `${c.share_pct} %`]));
    out += '\n';
  }
  return out;
}

/** One sentence: which decode path won, and by how much. */
function decodeWinner(r) {
  const d = r.decode;
  if (!d) return '';
  const names = {
    image_decoder: "the browser's ImageDecoder (WebCodecs) at reduced DCT scale, then drawn to size",
    image_crate: 'the image crate (full decode, then resize)', create_image_bitmap: 'createImageBitmap with resize', scaled_jpeg: 'jpeg-decoder at reduced scale (DCT scaling), then resize',
  };
  const rates = { image_crate: d.image_crate_img_s, create_image_bitmap: d.create_image_bitmap_img_s, scaled_jpeg: d.scaled_jpeg_img_s };
  if (d.image_decoder_img_s !== undefined) rates.image_decoder = d.image_decoder_img_s;
  const [runnerUp] = Object.entries(rates).filter(([k]) => k !== d.default).sort((a, b) => b[1] - a[1]);
  return `\n**Decode path**: ${names[d.default] ?? d.default} won with ${rates[d.default]} img/s, ${d.speedup}× the runner-up, ${names[runnerUp[0]]} (${runnerUp[1]} img/s); ${!d.app_default || d.app_default === d.default ? 'it is the default, and the others stay as fallbacks for what it cannot decode' : `**but the app's default is ${names[d.app_default] ?? d.app_default}**: this run disagrees with the measurements that chose it, so look again before changing it`}.\n`;
}

function markdown(r) {
  const m = r.machine;
  const t = r.throughput;
  const big = r.scale?.find((e) => e.note && e.n !== t?.n);
  const tgt = targets(r).map((x) => [x.name, x.target, x.value, x.status,
    x.status === 'not met' ? (measuredLimit(x.name, r) ?? 'not yet profiled') : '']);
  return `# Benchmarks

Measurements, not tests: \`make bench\` runs them (never \`make test\`, never
CI) and rewrites this file and \`bench/results.json\`. Every figure is the
median of ${r.runs} run${r.runs === 1 ? '' : 's'} (\`BENCH_RUNS\`, default 3), except where a part says otherwise:
the scale points, decode, panel and storage take the
median of ${r.few_runs ?? 2} so that a full run fits its 20 minutes, and the memory
part is one run each way. \`BENCH_QUICK=1\` runs every workload
about 10× smaller and writes to \`bench/out/\` instead of here.

Latest run: **${r.date}**, command \`${r.command}\`, ${r.seconds} s.${r.part_dates && new Set(Object.values(r.part_dates)).size > 1 ? `\nThis run measured only some parts; the others are kept from earlier runs: ${Object.entries(r.part_dates).map(([p, d]) => `${p} ${d}`).join(', ')}.` : ''}${r.quick ? ' **QUICK run: workloads / 10.**' : ''}${r.machine.load_at_start[0] > 1.5 ? `\n**The machine was busy before the run started** (load average ${r.machine.load_at_start[0]} on ${r.machine.cores} cores: other work): these figures are lower than an idle machine gives.` : ''}

## Results

${mdTable(['', 'measure', 'value'], rows(r))}
${decodeWinner(r)}
## Targets

${mdTable(['target', 'goal', 'value', 'status', 'what limits it'], tgt)}
${profiles(r)}
## What was measured

- **Build**: the release build (\`make dist\` → \`dist-release/\`; Trunk runs
  wasm-opt from npm's \`binaryen@132.0.0\`), served by \`serve-app\`, in
  headless Chromium (${m.chromium ?? 'unknown version'}) driven by playwright-core, a fresh
  browser context (empty cache, default settings: automatic workers, 6 per host,
  256 px thumbnails) for every run.
- **Images**: the local demo source (\`demo-server/\`, debug build, as the tests use
  it) with \`--count 2000 --formats jpeg --min-side 820 --max-side 4000 --cache-mb 2048${t?.hosts ? ` --hosts ${t.hosts}` : ''}\`:
  one library of photo-like JPEGs, 0.5–12 Mpx, that the memory part collects
  whole. The other parts use its *photo list*, the images of long side 1024 px
  or more (\`/api/urls.txt?max=N&min_side=1024\`): ${t ? t.images : 'JPEG only'}.${t?.hosts ? `
  Throughput, responsiveness and cancel take it spread over ${t.hosts} hosts
  (\`…&hosts=${t.hosts}\`: the source listens on 127.0.0.1–127.0.0.${t.hosts}, same
  port, and the i-th URL names 127.0.0.(1 + i mod ${t.hosts})), as a URL list over
  many hosts is: on one host the app's per-host politeness cap
  (${t.per_host_cap ?? '?'} connections at once) would limit it first. Decode, storage,
  memory, export, scale and panel keep single-host lists, so their figures
  compare with earlier runs.` : ''}
  Before anything is timed every image is requested once, so the source has
  made and cached it: generation is not in anyone's time.
- **throughput**: our page, deep-linked to the source's URL list
  (\`?provider=urls&urls=…/api/urls.txt?max=${t?.n ?? 1000}%26min_side=1024${t?.hosts ? `%26hosts=${t.hosts}` : ''}&max=${t?.n ?? 1000}&autostart=1\`), timed
  in the page from the status line's first "Collecting" to "Done"; images per
  second = collected / that time.${t?.list ? ` The list: ${t.list}. The source's \`/stats\` is reset before each run (ours and img2dataset's) and read after it:
  "most image requests in flight" is its \`max_image_in_flight_by_host\` (the
  largest over the hosts) and \`max_image_in_flight\`, the largest over the runs.` : ''} img2dataset 1.47.0 (PyPI, in \`bench/venv\`)
  on the same list: \`--resize_mode keep_ratio --image_size 256
  --processes_count 2 --thread_count 16 --number_sample_per_shard 100
  --output_format files\`; its images per second come from its own shard
  stats (first shard start to last shard end, which leaves out its process
  start-up; the wall time of the whole command is shown too). Note that
  img2dataset's \`keep_ratio\` makes the *short* side 256 px, so its
  thumbnails are larger than ours (long side 256 px). **limit**: the same
  files decoded natively at thumbnail scale (libjpeg-turbo DCT scaling through
  OpenCV's \`IMREAD_REDUCED_COLOR_{2,4,8}\`, the largest reduction keeping the
  long side ≥ 256, then an area resize to 256) in a pool of one process per
  core, files already in memory: the machine's ceiling for this work
  (\`bench/native_limit.py\`; the venv has OpenCV through img2dataset, not Pillow).
- **responsiveness**: during the throughput runs: long tasks
  (\`PerformanceObserver\`, type \`longtask\`, buffered, installed before
  navigation) overlapping the collection — the longest and the sum — and
  frames per second counted with \`requestAnimationFrame\` over the collection.
  Frames are counted only in the throughput runs (the counter keeps
  a \`requestAnimationFrame\` callback pending, so the browser makes every
  frame); the other parts run without it.
- **cancel**: ${r.cancel?.count ?? 20} collections (Collect clicked again in the same page) of
  the photo list${r.cancel?.hosts ? ` spread over ${r.cancel.hosts} hosts (\`…&hosts=${r.cancel.hosts}\`)` : ''} with every image answered after ${r.cancel?.latency_ms ?? 50} ms
  (\`…&latency_ms=${r.cancel?.latency_ms ?? 50}\`: each listed URL asks the image route to wait), each cancelled at a seeded random point 0.3–3 s after Collect
  (seed ${r.cancel?.seed ?? ''}) — at the first moment from that point on when the source
  has an image request in flight, since the workers download in bursts between
  decodes and a cancel with nothing in flight measures nothing. \`/stats\` is
  polled every 5 ms; the time runs from the Cancel click (the click event's
  time stamp, so time the page thread was busy before handling it counts) to
  the poll from which on \`image_in_flight\` stays 0. The source counts a
  request in flight until its body is sent or it notices the client went away.
  The click is made by Playwright; a request can end between the poll that
  saw it and the click (then "in flight at the click" is 0).
- **size**: gzip level 9 (node zlib) of the page's \`app-*.js\` +
  \`app-*_bg.wasm\` and of the worker's \`worker.js\` + \`worker_bg.wasm\` +
  \`worker_loader.js\` in \`dist-release/\`. **tti_ms**: navigation start to
  the Collect button present (the app mounted) and enabled.
- **scale**: collections of ${(r.scale ?? []).map((e) => e.n).join(', ')} images, each the median of ${r.few_runs ?? 2} runs,${big ? ` the ${big.n}-image run on
  ${big.images.replace('JPEG, ', '')}: ${big.note}.` : ` all from one set of small images (${r.scale?.[0]?.images?.replace('JPEG, ', '') ?? ''}: 4 000
  photo-sized ones would not fit the time budget), so that their times compare.`} \`peak_mb\` is the
  peak of the page's own memory figure, \`globalThis.__collectorMetrics.total\`
  (page JS heap + page wasm + the workers' wasm + the thumbnail cache, or
  \`measureUserAgentSpecificMemory()\` when larger; the page refreshes it
  once a second), sampled every 250 ms; \`js_heap_peak_mb\` is the page
  thread's \`performance.memory.usedJSHeapSize\` alone
  (\`--enable-precise-memory-info\`).
- **memory**: ${r.memory ? `${r.memory.n} images (${r.memory.images}) collected from the URL list with the default ${r.memory.cache_budget_mb} MB cache budget, then again with the budget at 4 096 MB (unbounded for this run) as the baseline; one sample a second. ${r.memory.reading}.` : 'not measured in this run.'}
- **decode**: ${r.decode ? `${r.decode.how}; ${r.decode.n} images.` : 'not measured in this run.'}
- **export**: ${r.export ? `${r.export.how}; ${r.export.images}.` : 'not measured in this run.'}
- **storage**: ${r.storage ? `originals: ${r.storage.originals.how}; thumbnails: ${r.storage.thumbs.how}.` : 'not measured in this run.'}
- **panel**: ${r.panel ? `${r.panel.how}; ${r.panel.n} images (${r.panel.images}), ${r.few_runs ?? r.runs} runs each way.` : 'not measured in this run.'}
${r.errors ? `\n**Errors in this run**: ${r.errors.join('; ')}\n` : ''}
## Machine

${m.cpu}, ${m.cores} cores${m.cpu_mhz ? ` (${m.cpu_mhz} MHz)` : ''}, ${m.mem_total_mb} MB RAM; Linux ${m.kernel}, Node ${m.node}, ${m.chromium ?? 'Chromium'}.
Load average ${m.load_at_start.join(' ')} at the start, ${m.load_at_end.join(' ')} at the end.

\`\`\`
$ free -m
${m.free_m}
\`\`\`
`;
}

/** Writes the JSON and the Markdown; a quick run writes under bench/out/. */
// (Parts kept from an earlier run carry that run's date in `part_dates`.)
export function writeReports(r, { quick, root }) {
  const json = quick ? `${root}bench/out/results-quick.json` : `${root}bench/results.json`;
  const md = quick ? `${root}bench/out/BENCHMARKS-quick.md` : `${root}BENCHMARKS.md`;
  mkdirSync(`${root}bench/out`, { recursive: true });
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(md, markdown(r));
  return [json.replace(root, ''), md.replace(root, '')];
}
