//! The performance panel: live charts of the last five minutes, the figures
//! beside them, controls (cache, intake, memory lines, downloads), the alert
//! log and its toasts.
//!
//! A recorder runs for the page's life, whether the panel is open or not: once
//! a second it takes a [`MetricsRow`] (memory from `web::sampler`, the cache's
//! figures, images/s and MB/s from the collection's cumulative counts, the
//! workers' busy share from their `Busy` messages, the page's long tasks from
//! a `PerformanceObserver`) into a [`Ring`] of five minutes that never grows.
//! The panel draws only while it is open, once a second at most twice, on
//! small canvases ([`charts`](crate::ui::charts)). It opens with its button or
//! the key `p` (outside text fields); Escape closes it.

use std::cell::RefCell;
use std::collections::HashMap;

use gloo_timers::callback::{Interval, Timeout};
use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;

use crate::core::collection::{Figures, Phase};
use crate::core::metrics::{
    busy_percent, eta_seconds, recent_rate, to_csv, MetricsRow, RateMeter, Ring, SlowThroughput,
    SECONDS_KEPT,
};
use crate::core::pressure::PressureLevel;
use crate::core::settings::Settings;
use crate::ui::app::{clock_time, View};
use crate::ui::charts::{self, Rule, Series};
use crate::ui::settings_dialog::save_settings;
use crate::ui::thumbs;
use crate::web::sampler;
use crate::web::worker_bridge::WorkerPool;

/// Alert lines kept in the log.
const ALERTS_KEPT: usize = 100;
/// At most two redraws a second.
const MIN_REDRAW_MS: f64 = 500.0;
const TOAST_MS: u32 = 6_000;
/// How often the storage estimate is read, in seconds.
const STORAGE_EVERY_S: u64 = 5;
/// A worker's `Busy` older than this counts as idle.
const BUSY_FRESH_MS: f64 = 1_500.0;
const MIB: f64 = 1024.0 * 1024.0;
/// Chart canvases, in CSS pixels (small: a redraw must stay cheap).
const CHART_W: u32 = 340;
const CHART_H: u32 = 160;

struct Recorder {
    rows: Ring<MetricsRow>,
    /// Each worker's latest busy ms, and when it arrived (Unix ms).
    busy: HashMap<usize, (f64, f64)>,
    long_task_ms: f64,
    figures: Figures,
    images: RateMeter,
    bytes: RateMeter,
    slow: SlowThroughput,
    pool: Option<WorkerPool>,
    running: bool,
    /// The app's own files: (name, bytes on the wire, bytes decoded).
    sizes: Vec<(&'static str, Option<u64>, Option<u64>)>,
    /// What each chart's last redraw took, ms.
    redraw_ms: [f64; 4],
    /// Alerts raised before the first second was recorded: they are logged
    /// with that second's figures.
    early_alerts: Vec<String>,
    /// This site's storage: (usage, quota) bytes, read every few seconds.
    storage: Option<(u64, u64)>,
}

thread_local! {
    static RECORDER: RefCell<Recorder> = RefCell::new(Recorder {
        rows: Ring::new(SECONDS_KEPT),
        busy: HashMap::new(),
        long_task_ms: 0.0,
        figures: Figures::default(),
        images: RateMeter::default(),
        bytes: RateMeter::default(),
        slow: SlowThroughput::default(),
        pool: None,
        running: false,
        sizes: Vec::new(),
        redraw_ms: [0.0; 4],
        early_alerts: Vec::new(),
        storage: None,
    });
    /// Bumped once a second, after a row was recorded.
    static SECOND: ArcRwSignal<u64> = ArcRwSignal::new(0);
    static ALERTS: ArcRwSignal<Ring<String>> = ArcRwSignal::new(Ring::new(ALERTS_KEPT));
    static TOAST: ArcRwSignal<Option<(u64, String)>> = ArcRwSignal::new(None);
    static TICKER: RefCell<Option<Interval>> = const { RefCell::new(None) };
}

/// The pool whose workers' busy share is charted.
pub fn configure(pool: WorkerPool) {
    RECORDER.with_borrow_mut(|r| r.pool = Some(pool));
}

/// A worker said how long it was busy in its last second.
pub fn worker_busy(worker: usize, busy_ms: f64) {
    RECORDER.with_borrow_mut(|r| {
        r.busy.insert(worker, (busy_ms, js_sys::Date::now()));
    });
}

/// The running collection's latest figures.
pub fn figures(f: Figures) {
    RECORDER.with_borrow_mut(|r| r.figures = f);
}

/// Adds a line to the alert log (with the time and the current figures) and
/// shows it as a toast. One raised before the first second is recorded waits
/// for it (at most a second), so every line carries figures.
pub fn alert(sentence: impl AsRef<str>) {
    let figures = RECORDER.with_borrow_mut(|r| {
        let figures = r.rows.last().map(summary);
        if figures.is_none() {
            r.early_alerts.push(sentence.as_ref().to_string());
        }
        figures
    });
    let Some(figures) = figures else { return };
    let line = format!("{} {}{}", clock_time(), sentence.as_ref(), figures);
    ALERTS.with(|a| a.update(|ring| ring.push(line.clone())));
    let toast = TOAST.with(Clone::clone);
    let id = js_sys::Date::now().to_bits();
    toast.set(Some((id, line)));
    Timeout::new(TOAST_MS, move || {
        if toast.with_untracked(|t| t.as_ref().map(|t| t.0)) == Some(id) {
            toast.set(None);
        }
    })
    .forget();
}

/// " — memory 120 MB, 14.2 images/s, queue 40, level normal"
fn summary(row: &MetricsRow) -> String {
    let memory = row.js_heap_bytes + row.page_wasm_bytes + row.workers_wasm_bytes + row.cache_bytes;
    format!(
        " — memory {:.0} MB, {:.1} images/s, {:.2} MB/s, queue {}, level {}",
        memory as f64 / MIB,
        row.images_per_s,
        row.mb_per_s,
        row.queue_depth,
        row.level
    )
}

/// Starts the once-a-second recorder and the long-task observer (once).
fn start_recording(view: View) {
    if TICKER.with_borrow(|t| t.is_some()) {
        return;
    }
    observe_long_tasks();
    wasm_bindgen_futures::spawn_local(measure_sizes());
    let interval = Interval::new(1_000, move || record_second(view));
    TICKER.with_borrow_mut(|t| *t = Some(interval));
}

fn record_second(view: View) {
    let now = js_sys::Date::now();
    let counts = view.counts.get_untracked();
    let phase = view.phase.get_untracked();
    let running = matches!(phase, Some(Phase::Collecting | Phase::Paused));
    let (reading, level) = sampler::latest().unwrap_or_default();
    let cache = thumbs::stats();
    let slow = RECORDER.with_borrow_mut(|r| {
        let workers = r.pool.as_ref().map(WorkerPool::len).unwrap_or(0);
        let busy = busy_percent(
            r.busy
                .values()
                .filter(|(_, at)| now - at < BUSY_FRESH_MS)
                .map(|(ms, _)| *ms),
            workers,
        );
        let images = r.images.observe(counts.collected as u64, now);
        let bytes = r.bytes.observe(r.figures.collected_bytes, now);
        let queue_depth = if running { r.figures.queue_depth } else { 0 };
        r.running = running;
        r.rows.push(MetricsRow {
            time_ms: now,
            js_heap_bytes: reading.js_heap_used.unwrap_or(0),
            page_wasm_bytes: reading.page_wasm,
            workers_wasm_bytes: reading.workers_wasm,
            cache_bytes: cache.bytes,
            cache_hit_ratio: cache.hit_ratio(),
            images_per_s: images,
            mb_per_s: bytes / MIB,
            worker_busy_percent: busy,
            long_task_ms: std::mem::take(&mut r.long_task_ms),
            queue_depth,
            chunk_size: r.figures.chunk_size,
            level,
        });
        r.slow
            .observe(images, phase == Some(Phase::Collecting) && queue_depth > 0)
    });
    if SECOND
        .with(|s| s.get_untracked())
        .is_multiple_of(STORAGE_EVERY_S)
    {
        wasm_bindgen_futures::spawn_local(async {
            let estimate = crate::web::store::storage_estimate().await;
            if let Some((usage, quota)) = estimate {
                sampler::publish("storage_usage", usage as f64);
                sampler::publish("storage_quota", quota as f64);
            }
            RECORDER.with_borrow_mut(|r| r.storage = estimate);
        });
    }
    SECOND.with(|s| s.update(|n| *n += 1));
    for early in RECORDER.with_borrow_mut(|r| std::mem::take(&mut r.early_alerts)) {
        alert(early);
    }
    if let Some(slow) = slow {
        alert(slow.to_string());
    }
}

/// Adds up the page thread's long tasks (PerformanceObserver, type `longtask`).
fn observe_long_tasks() {
    let callback = Closure::<dyn FnMut(web_sys::PerformanceObserverEntryList)>::new(
        |list: web_sys::PerformanceObserverEntryList| {
            let ms: f64 = list
                .get_entries()
                .iter()
                .filter_map(|e| e.dyn_into::<web_sys::PerformanceEntry>().ok())
                .map(|e| e.duration())
                .sum();
            RECORDER.with_borrow_mut(|r| r.long_task_ms += ms);
        },
    );
    let Ok(observer) = web_sys::PerformanceObserver::new(callback.as_ref().unchecked_ref()) else {
        return;
    };
    // Unknown entry types are ignored (the chart then shows no long tasks).
    observer.observe(&web_sys::PerformanceObserverInit::new(&js_sys::Array::of1(
        &"longtask".into(),
    )));
    // Both live as long as the page.
    callback.forget();
    std::mem::forget(observer);
}

/// The sizes of the app's own code. The page's wasm and JS are named by the
/// preload links Trunk writes; their sizes come from resource timing (which
/// knows the compressed size too) or, when the browser has not filed that
/// entry yet, from a HEAD request, as the worker's do (the worker loads its
/// own, so they are never in the page's timing).
async fn measure_sizes() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let href = |selector: &str| {
        window
            .document()
            .and_then(|d| d.query_selector(selector).ok().flatten())
            .and_then(|e| e.get_attribute("href"))
    };
    let files = [
        ("page wasm", href("link[rel=preload][href$='.wasm']")),
        ("page JS", href("link[rel=modulepreload]")),
        ("worker wasm", Some("./worker_bg.wasm".to_string())),
        ("worker JS", Some("./worker.js".to_string())),
    ];
    let timings: Vec<web_sys::PerformanceResourceTiming> = window
        .performance()
        .map(|p| p.get_entries_by_type("resource"))
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e.dyn_into().ok())
        .collect();
    let mut sizes: Vec<(&'static str, Option<u64>, Option<u64>)> = Vec::new();
    for (label, url) in files {
        let Some(url) = url else { continue };
        let file = url.rsplit('/').next().unwrap_or_default().to_string();
        let timed = timings
            .iter()
            .find(|t| {
                t.name()
                    .split('?')
                    .next()
                    .is_some_and(|n| n.ends_with(&format!("/{file}")))
            })
            .filter(|t| t.decoded_body_size() > 0.0);
        let size = match timed {
            Some(t) => (
                Some(t.encoded_body_size() as u64).filter(|b| *b > 0),
                Some(t.decoded_body_size() as u64),
            ),
            None => (head_length(&url).await, None),
        };
        sizes.push((label, size.0, size.1));
    }
    RECORDER.with_borrow_mut(|r| r.sizes = sizes);
}

/// The `Content-Length` a HEAD request for `url` answers, if any.
async fn head_length(url: &str) -> Option<u64> {
    match gloo_net::http::RequestBuilder::new(url)
        .method(gloo_net::http::Method::HEAD)
        .send()
        .await
    {
        Ok(r) if r.ok() => r
            .headers()
            .get("content-length")
            .and_then(|v| v.parse::<u64>().ok()),
        _ => None,
    }
}

/// The page narrows while the panel is open (see main.css): the gallery
/// measures itself again on `resize`.
fn page_width_changed() {
    if let (Some(w), Ok(e)) = (web_sys::window(), web_sys::Event::new("resize")) {
        let _ = w.dispatch_event(&e);
    }
}

/// Whether a key press is typing into a text field (then `p` is a letter).
fn typing(e: &web_sys::KeyboardEvent) -> bool {
    let Some(el) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return false;
    };
    let tag = el.tag_name().to_ascii_lowercase();
    matches!(tag.as_str(), "input" | "textarea" | "select")
        || el
            .dyn_ref::<web_sys::HtmlElement>()
            .is_some_and(|h| h.is_content_editable())
}

/// "72.7 MB", "40 KB" under a megabyte, "1.5 GB" from a gigabyte.
fn mb(bytes: u64) -> String {
    if bytes > 0 && (bytes as f64) < MIB {
        format!("{:.0} KB", bytes as f64 / 1024.0)
    } else if bytes as f64 >= 1024.0 * MIB {
        format!("{:.1} GB", bytes as f64 / (1024.0 * MIB))
    } else {
        format!("{:.1} MB", bytes as f64 / MIB)
    }
}

#[component]
pub fn PerfPanel(
    view: View,
    settings: RwSignal<Settings>,
    on_pause: Callback<bool>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    start_recording(view);
    let open = RwSignal::new(false);
    let opener = NodeRef::<leptos::html::Button>::new();
    let panel = NodeRef::<leptos::html::Section>::new();
    let toast = TOAST.with(Clone::clone);
    let focus_panel = move || {
        request_animation_frame(move || {
            if let Some(p) = panel.get_untracked() {
                let _ = p.focus();
            }
            page_width_changed();
        })
    };
    let close = move || {
        open.set(false);
        if let Some(b) = opener.get_untracked() {
            let _ = b.focus();
        }
        request_animation_frame(page_width_changed);
    };
    let keys = window_event_listener(ev::keydown, move |e: web_sys::KeyboardEvent| {
        if e.ctrl_key() || e.meta_key() || e.alt_key() || e.default_prevented() {
            return; // Ctrl+P stays the browser's Print.
        }
        match e.key().as_str() {
            "p" | "P" if !typing(&e) => {
                e.prevent_default();
                open.set(true);
                focus_panel();
            }
            "Escape" if open.get_untracked() => close(),
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());

    view! {
        <button type="button" data-testid="perf-open" node_ref=opener aria-controls="perf-panel"
            aria-expanded=move || open.get().to_string() aria-keyshortcuts="p"
            title="Performance (key: p)"
            on:click=move |_| {
                let now = !open.get_untracked();
                open.set(now);
                if now { focus_panel() } else { request_animation_frame(page_width_changed) }
            }>"Performance"</button>
        <Show when=move || open.get()>
            <section class="perf" id="perf-panel" data-testid="perf-panel" node_ref=panel tabindex="-1"
                role="region" aria-label="Performance panel">
                <header>
                    <h2>"Performance"</h2>
                    <button type="button" aria-label="Close the performance panel (Escape)" on:click=move |_| close()>"Close"</button>
                </header>
                <Operations view=view on_cancel=on_cancel />
                <ChartGrid settings=settings />
                <FiguresList view=view />
                <Controls view=view settings=settings on_pause=on_pause />
                <AlertLog />
            </section>
        </Show>
        <div class="toast-area" role="status" aria-live="polite">
            {move || toast.get().map(|(_, line)| view! { <p class="toast" data-testid="toast">{line}</p> })}
        </div>
    }
}

/// The four charts, redrawn once a second while shown.
#[component]
fn ChartGrid(settings: RwSignal<Settings>) -> impl IntoView {
    let second = SECOND.with(Clone::clone);
    let memory = NodeRef::<leptos::html::Canvas>::new();
    let throughput = NodeRef::<leptos::html::Canvas>::new();
    let cache = NodeRef::<leptos::html::Canvas>::new();
    let workers = NodeRef::<leptos::html::Canvas>::new();
    let last_draw = StoredValue::new(f64::NEG_INFINITY);
    Effect::new(move |_| {
        second.track();
        let (warning, critical) = settings.with(|s| (s.warning_mb as f64, s.critical_mb as f64));
        let now = crate::web::now_ms();
        if now - last_draw.get_value() < MIN_REDRAW_MS {
            return;
        }
        last_draw.set_value(now);
        // One chart per task, so a redraw never adds up to a long task.
        for (index, node) in [memory, throughput, cache, workers].into_iter().enumerate() {
            set_timeout(
                move || {
                    let Some(canvas) = node.try_get_untracked().flatten() else {
                        return;
                    };
                    let started = crate::web::now_ms();
                    if let Err(e) = draw_chart(index, &canvas, warning, critical) {
                        web_sys::console::warn_1(&e.into());
                    }
                    note_redraw(index, crate::web::now_ms() - started);
                },
                std::time::Duration::ZERO,
            );
        }
    });
    let chart = move |id: &'static str,
                      title: &'static str,
                      note: &'static str,
                      node: NodeRef<leptos::html::Canvas>| {
        view! {
            <figure class="chart">
                <figcaption>{title} <small>{note}</small></figcaption>
                <canvas data-testid=id node_ref=node width=CHART_W.to_string() height=CHART_H.to_string() role="img"
                    aria-label=format!("{title} over the last 5 minutes")></canvas>
                <button type="button" class="small" data-testid=format!("{id}-png")
                    aria-label=format!("Download the {title} chart as PNG")
                    on:click=move |_| if let Some(c) = node.get_untracked() { save_png(&c, id) }>"PNG"</button>
            </figure>
        }
    };
    view! {
        <div class="charts">
            {chart("chart-memory", "Memory", "MB; the warning and critical lines", memory)}
            {chart("chart-throughput", "Throughput", "images/s and MB/s collected", throughput)}
            {chart("chart-cache", "Cache hit ratio", "% of lookups", cache)}
            {chart("chart-workers", "Workers",
                "busy %: share of each second a worker had work in hand, the honest CPU figure a page can have; long tasks: ms/s",
                workers)}
        </div>
    }
}

/// Publishes what the last redraw cost: `panel_redraw_ms` (the four charts)
/// and `panel_chart_max_ms` (the longest single chart, i.e. task).
fn note_redraw(index: usize, ms: f64) {
    let (sum, max) = RECORDER.with_borrow_mut(|r| {
        r.redraw_ms[index] = ms;
        (
            r.redraw_ms.iter().sum::<f64>(),
            r.redraw_ms.iter().copied().fold(0.0, f64::max),
        )
    });
    sampler::publish("panel_redraw_ms", sum);
    sampler::publish("panel_chart_max_ms", max);
}

/// Draws chart `index` (memory, throughput, cache, workers) from the rows.
fn draw_chart(
    index: usize,
    canvas: &HtmlCanvasElement,
    warning_mb: f64,
    critical_mb: f64,
) -> Result<(), String> {
    RECORDER.with_borrow(|r| {
        let now = r.rows.last().map(|x| x.time_ms).unwrap_or(0.0);
        let points = |f: fn(&MetricsRow) -> f64| -> Vec<(f64, f64)> {
            r.rows
                .iter()
                .map(|x| ((x.time_ms - now) / 1000.0, f(x)))
                .filter(|(t, _)| *t >= -(SECONDS_KEPT as f64))
                .collect()
        };
        match index {
            0 => charts::draw(
                canvas,
                "MB",
                1.0,
                &[
                    Series {
                        label: "JS heap",
                        color: charts::BLUE,
                        points: points(|x| x.js_heap_bytes as f64 / MIB),
                    },
                    Series {
                        label: "wasm (page + workers)",
                        color: charts::PURPLE,
                        points: points(|x| (x.page_wasm_bytes + x.workers_wasm_bytes) as f64 / MIB),
                    },
                    Series {
                        label: "cache",
                        color: charts::GREEN,
                        points: points(|x| x.cache_bytes as f64 / MIB),
                    },
                ],
                &[
                    Rule {
                        label: format!("warning {warning_mb:.0} MB"),
                        color: charts::ORANGE,
                        y: warning_mb,
                    },
                    Rule {
                        label: format!("critical {critical_mb:.0} MB"),
                        color: charts::RED,
                        y: critical_mb,
                    },
                ],
            ),
            1 => charts::draw(
                canvas,
                "per second",
                1.0,
                &[
                    Series {
                        label: "images/s",
                        color: charts::BLUE,
                        points: points(|x| x.images_per_s),
                    },
                    Series {
                        label: "MB/s",
                        color: charts::GREEN,
                        points: points(|x| x.mb_per_s),
                    },
                ],
                &[],
            ),
            2 => charts::draw(
                canvas,
                "%",
                100.0,
                &[Series {
                    label: "hit ratio",
                    color: charts::GREEN,
                    points: points(|x| x.cache_hit_ratio * 100.0),
                }],
                &[],
            ),
            _ => charts::draw(
                canvas,
                "% · ms",
                100.0,
                &[
                    Series {
                        label: "worker busy %",
                        color: charts::BLUE,
                        points: points(|x| x.worker_busy_percent),
                    },
                    Series {
                        label: "long tasks ms/s",
                        color: charts::RED,
                        points: points(|x| x.long_task_ms),
                    },
                ],
                &[],
            ),
        }
    })
}

/// "1:05" to go, or why there is no estimate.
fn eta_text(remaining: u64, rate_per_s: f64) -> String {
    match eta_seconds(remaining, rate_per_s) {
        Some(s) => format!("{}:{:02}", (s as u64) / 60, (s as u64) % 60),
        None => "unknown (no recent rate)".into(),
    }
}

/// An operation the panel shows progress for.
#[derive(Clone, Copy)]
enum Operation {
    Collection,
    Remakes,
    /// An export or import ("Export", "Import").
    Job(&'static str),
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Collection => "Collection",
            Operation::Remakes => "Thumbnails made again",
            Operation::Job(label) => label,
        }
    }

    fn cancel_id(self) -> &'static str {
        match self {
            Operation::Collection => "op-cancel-collection",
            Operation::Remakes => "op-cancel-remakes",
            Operation::Job(_) => "op-cancel-job",
        }
    }
}

/// What is under way, each with its own bar, ETA and Cancel: the
/// collection, a batch of thumbnails being made again from the stored
/// originals, and an export or import. Refreshed once a second and as a
/// job moves.
#[component]
fn Operations(view: View, on_cancel: Callback<()>) -> impl IntoView {
    let second = SECOND.with(Clone::clone);
    let job = crate::web::jobs::progress();
    let rows = move || {
        second.track();
        view.phase.track();
        let mut rows = Vec::new();
        if matches!(
            view.phase.get_untracked(),
            Some(Phase::Collecting | Phase::Paused)
        ) {
            let c = view.counts.get_untracked();
            let total = view.expected.get_untracked().max(c.seen) as u64;
            let done = (c.seen - c.queued - c.in_flight) as u64;
            let rate = RECORDER.with_borrow(|r| {
                let rates: Vec<f64> = r.rows.newest(10).map(|x| x.images_per_s).collect();
                recent_rate(rates.iter(), 10)
            });
            rows.push((
                Operation::Collection,
                done,
                total,
                eta_text(total.saturating_sub(done), rate),
            ));
        }
        if let Some(b) = thumbs::remake_batch() {
            let seconds = (crate::web::now_ms() - b.started_ms) / 1000.0;
            let rate = if seconds > 0.0 {
                b.done as f64 / seconds
            } else {
                0.0
            };
            rows.push((
                Operation::Remakes,
                b.done,
                b.total,
                eta_text(b.total - b.done, rate),
            ));
        }
        if let Some(j) = job.get() {
            let seconds = (crate::web::now_ms() - j.started_ms) / 1000.0;
            let rate = if seconds > 0.0 {
                j.done as f64 / seconds
            } else {
                0.0
            };
            let left = j.total.saturating_sub(j.done) as u64;
            rows.push((
                Operation::Job(j.label),
                j.done as u64,
                j.total as u64,
                eta_text(left, rate),
            ));
        }
        if rows.is_empty() {
            return view! { <li class="idle">"Nothing under way."</li> }.into_any();
        }
        rows.into_iter()
            .map(|(op, done, total, eta)| {
                let name = op.name();
                view! {
                    <li data-testid="operation">
                        <span class="name">{name}</span>
                        <progress max=total.max(1) value=done aria-label=name></progress>
                        <span data-testid="operation-progress">{format!("{done} of {total}")}</span>
                        <span data-testid="operation-eta">{format!("ETA {eta}")}</span>
                        <button type="button" data-testid=op.cancel_id()
                            aria-label=format!("Cancel: {name}")
                            on:click=move |_| match op {
                                Operation::Collection => on_cancel.run(()),
                                Operation::Remakes => thumbs::cancel_remakes(),
                                Operation::Job(_) => crate::web::jobs::cancel(),
                            }>"Cancel"</button>
                    </li>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <section class="operations" aria-label="Operations under way">
            <h3>"Under way"</h3>
            <ul data-testid="perf-operations">{rows}</ul>
        </section>
    }
}

/// The figures beside the charts, refreshed once a second.
#[component]
fn FiguresList(view: View) -> impl IntoView {
    let second = SECOND.with(Clone::clone);
    let rows = move || {
        second.track();
        let c = view.counts.get();
        let expected = view.expected.get().max(c.seen);
        let settled = c.seen - c.queued - c.in_flight;
        let cache = thumbs::stats();
        let (f, last, rate, running, sizes, storage) = RECORDER.with_borrow(|r| {
            let rates: Vec<f64> = r.rows.newest(10).map(|x| x.images_per_s).collect();
            (
                r.figures.clone(),
                r.rows.last().cloned().unwrap_or_default(),
                recent_rate(rates.iter(), 10),
                r.running,
                r.sizes.clone(),
                r.storage,
            )
        });
        let storage = match storage {
            Some((usage, quota)) => format!("{} of {} used", mb(usage), mb(quota)),
            None => "not known (the browser does not say)".into(),
        };
        let eta = if running {
            eta_text(expected.saturating_sub(settled) as u64, rate)
        } else {
            "—".into()
        };
        let hosts = if !running || f.in_flight_by_host.is_empty() {
            "none".to_string()
        } else {
            f.in_flight_by_host
                .iter()
                .map(|(h, n)| format!("{h}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let decoders = if f.decoded_by.is_empty() {
            "none yet".to_string()
        } else {
            f.decoded_by
                .iter()
                .map(|(p, n)| format!("{} {n}", p.label()))
                .collect::<Vec<_>>()
                .join(" · ")
        };
        let sizes = if sizes.is_empty() {
            "measuring…".to_string()
        } else {
            sizes
                .iter()
                .map(|(name, wire, decoded)| match (wire, decoded) {
                    (Some(w), Some(d)) if w != d => {
                        format!("{name} {} ({} on the wire)", mb(*d), mb(*w))
                    }
                    (Some(b), _) | (None, Some(b)) => format!("{name} {}", mb(*b)),
                    (None, None) => format!("{name} unknown"),
                })
                .collect::<Vec<_>>()
                .join(" · ")
        };
        let items: Vec<(&'static str, &'static str, String)> = vec![
            ("Collected", "perf-collected", c.collected.to_string()),
            ("Failed", "perf-failed", c.failed.to_string()),
            ("Duplicate", "perf-duplicate", c.duplicate.to_string()),
            ("Filtered", "perf-filtered", c.filtered.to_string()),
            (
                "Queue depth",
                "perf-queue",
                if running {
                    f.queue_depth.to_string()
                } else {
                    "0".into()
                },
            ),
            ("In flight by host", "perf-hosts", hosts),
            ("Decoded by", "perf-decoders", decoders),
            ("Chunk size", "perf-chunk", f.chunk_size.to_string()),
            (
                "Pressure level",
                "perf-level",
                view.pressure.get().name().to_string(),
            ),
            (
                "Cache",
                "perf-cache",
                format!(
                    "{} entries, {} of {}",
                    cache.entries,
                    mb(cache.bytes),
                    mb(cache.budget)
                ),
            ),
            (
                "Hit ratio",
                "perf-hit-ratio",
                format!("{:.0}%", cache.hit_ratio() * 100.0),
            ),
            (
                "Throughput",
                "perf-rate",
                format!(
                    "{:.1} images/s, {:.2} MB/s",
                    last.images_per_s, last.mb_per_s
                ),
            ),
            ("ETA", "perf-eta", eta),
            (
                "Worker busy",
                "perf-busy",
                format!("{:.0}%", last.worker_busy_percent),
            ),
            ("Storage", "perf-storage", storage),
            ("Code size", "perf-sizes", sizes),
        ];
        items
            .into_iter()
            .map(|(label, id, value)| view! { <dt>{label}</dt> <dd data-testid=id>{value}</dd> })
            .collect_view()
    };
    view! { <dl class="figures" aria-label="Figures">{rows}</dl> }
}

/// Cache, intake and memory-line controls, and the CSV download.
#[component]
fn Controls(view: View, settings: RwSignal<Settings>, on_pause: Callback<bool>) -> impl IntoView {
    let second = RwSignal::from(SECOND.with(Clone::clone));
    let message = RwSignal::new(String::new());
    // The warning line the user had before lowering the critical line under
    // it pushed it down; it comes back when the critical line rises again.
    let lowered_from = RwSignal::new(None::<u32>);
    let paused = move || {
        second.track();
        view.phase.track();
        RECORDER.with_borrow(|r| r.figures.paused_by_user && r.running)
    };
    let running = move || matches!(view.phase.get(), Some(Phase::Collecting | Phase::Paused));
    let apply = move |field: &'static str, value: String| {
        let mut next = settings.get_untracked();
        if let Err(e) = next.set(field, &value) {
            message.set(e);
            return;
        }
        let mut note = String::new();
        match field {
            "critical_mb" if next.warning_mb >= next.critical_mb => {
                let lowered = next.critical_mb / 2;
                if lowered == 0 {
                    message.set("The critical line must be at least 2 MB, so that the warning line fits below it.".into());
                    return;
                }
                lowered_from.set(Some(
                    lowered_from.get_untracked().unwrap_or(next.warning_mb),
                ));
                next.warning_mb = lowered;
                note = format!(" The warning line was lowered to {lowered} MB to stay below it.");
            }
            "critical_mb" => {
                if let Some(w) = lowered_from
                    .get_untracked()
                    .filter(|w| *w < next.critical_mb)
                {
                    next.warning_mb = w;
                    lowered_from.set(None);
                    note = format!(" The warning line is back at {w} MB.");
                }
            }
            "warning_mb" => lowered_from.set(None),
            _ => {}
        }
        let problem = next
            .validate()
            .into_iter()
            .find(|(f, _)| matches!(*f, "warning_mb" | "critical_mb" | "cache_budget_mb"));
        match problem {
            Some((_, sentence)) => message.set(sentence),
            None => {
                save_settings(&next);
                settings.set(next);
                message.set(format!("Applied.{note}"));
            }
        }
    };
    let field = move |id: &'static str, name: &'static str, label: &'static str| {
        view! {
            <label class="field">
                <span>{label}</span>
                <input type="number" min="1" data-testid=id inputmode="numeric"
                    prop:value=move || settings.with(|s| s.get(name))
                    on:change=move |ev| apply(name, event_target_value(&ev)) />
            </label>
        }
    };
    let clear_cache = move |_| {
        let before = thumbs::stats();
        thumbs::clear();
        message.set(format!(
            "Cleared the decoded cache: {} entries, {} freed.",
            before.entries,
            mb(before.bytes)
        ));
    };
    let trim = move |_| {
        let before = thumbs::stats();
        let budget = settings.with_untracked(|s| s.cache_budget_mb) as u64 * 1024 * 1024;
        let budget = match view.pressure.get_untracked() {
            PressureLevel::Normal => budget,
            PressureLevel::Warning => budget / 2,
            PressureLevel::Critical => budget / 4,
        };
        thumbs::set_budget(budget);
        let after = thumbs::stats();
        message.set(format!(
            "Trimmed to the budget ({}): {} entries, {} freed; {} held.",
            mb(budget),
            before.entries - after.entries.min(before.entries),
            mb(before.bytes.saturating_sub(after.bytes)),
            mb(after.bytes)
        ));
    };
    view! {
        <div class="controls" role="group" aria-label="Controls">
            <div class="row">
                <button type="button" data-testid="perf-clear-cache" on:click=clear_cache>"Clear decoded cache"</button>
                <button type="button" data-testid="perf-trim" on:click=trim>"Trim cache to budget now"</button>
                <button type="button" data-testid="perf-pause" disabled=move || !running()
                    aria-pressed=move || paused().to_string()
                    on:click=move |_| on_pause.run(!paused())>
                    {move || if paused() { "Resume intake" } else { "Pause intake" }}
                </button>
                <button type="button" data-testid="perf-csv" on:click=move |_| save_csv()>"Download CSV"</button>
            </div>
            <div class="row">
                {field("perf-warning", "warning_mb", "Warning line (MB)")}
                {field("perf-critical", "critical_mb", "Critical line (MB)")}
                {field("perf-budget", "cache_budget_mb", "Cache budget (MB)")}
            </div>
            <p class="message" data-testid="perf-message" role="status">{move || message.get()}</p>
        </div>
    }
}

#[component]
fn AlertLog() -> impl IntoView {
    let alerts = ALERTS.with(Clone::clone);
    view! {
        <h3 id="perf-alerts">"Alerts"</h3>
        <ul class="alerts" data-testid="alert-log" aria-labelledby="perf-alerts">
            {move || alerts.with(|ring| ring.iter().rev().map(|line| view! { <li>{line.clone()}</li> }).collect_view())}
        </ul>
    }
}

fn save_csv() {
    let csv = RECORDER.with_borrow(|r| to_csv(r.rows.iter()));
    let parts = js_sys::Array::of1(&csv.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    download(&url, "collector-metrics.csv");
    Timeout::new(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
}

fn save_png(canvas: &HtmlCanvasElement, id: &str) {
    if let Ok(url) = canvas.to_data_url_with_type("image/png") {
        download(&url, &format!("{id}.png"));
    }
}

fn download(href: &str, file_name: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(a) = document.create_element("a").and_then(|a| {
        a.dyn_into::<web_sys::HtmlAnchorElement>()
            .map_err(Into::into)
    }) else {
        return;
    };
    a.set_href(href);
    a.set_download(file_name);
    a.click();
}
