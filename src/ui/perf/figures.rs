//! The figures beside the charts, refreshed once a second: counts, queue,
//! what is in flight by host, which decoders made the thumbnails, chunk
//! size, pressure level, the cache, throughput, ETA, the workers' busy
//! share, storage, and the app's own code sizes.

use leptos::prelude::*;

use super::mb;
use super::under_way::eta_text;
use crate::ui::state::AppState;

#[component]
pub fn FiguresList() -> impl IntoView {
    let state = expect_context::<AppState>();
    let rows = move || {
        state.second.track();
        let c = state.counts.get();
        let expected = state.expected.get().max(c.seen);
        let settled = c.seen - c.queued - c.in_flight;
        let cache = state.thumbs().stats();
        let recorder = state.recorder();
        let (f, last, rate, running) = {
            let r = recorder.borrow();
            (
                r.latest_figures().clone(),
                r.last(),
                r.recent_rate(),
                r.running(),
            )
        };
        let storage = match state.storage.get() {
            Some((usage, quota)) => format!("{} of {} used", mb(usage), mb(quota)),
            None => "not known (the browser does not say)".into(),
        };
        let eta = if running {
            eta_text(expected.saturating_sub(settled) as u64, rate)
        } else {
            "—".into()
        };
        let joined = |parts: Vec<String>, none: &str, sep: &str| {
            if parts.is_empty() {
                none.to_string()
            } else {
                parts.join(sep)
            }
        };
        let hosts = joined(
            f.in_flight_by_host
                .iter()
                .filter(|_| running)
                .map(|(h, n)| format!("{h}: {n}"))
                .collect(),
            "none",
            ", ",
        );
        let decoders = joined(
            f.decoded_by
                .iter()
                .map(|(p, n)| format!("{} {n}", p.label()))
                .collect(),
            "none yet",
            " · ",
        );
        let sizes = joined(
            state
                .code_sizes
                .get()
                .iter()
                .map(|(name, wire, decoded)| match (wire, decoded) {
                    (Some(w), Some(d)) if w != d => {
                        format!("{name} {} ({} on the wire)", mb(*d), mb(*w))
                    }
                    (Some(b), _) | (None, Some(b)) => format!("{name} {}", mb(*b)),
                    (None, None) => format!("{name} unknown"),
                })
                .collect(),
            "measuring…",
            " · ",
        );
        let queue = if running { f.queue_depth } else { 0 };
        let items: Vec<(&'static str, &'static str, String)> = vec![
            ("Collected", "perf-collected", c.collected.to_string()),
            ("Failed", "perf-failed", c.failed.to_string()),
            ("Duplicate", "perf-duplicate", c.duplicate.to_string()),
            ("Filtered", "perf-filtered", c.filtered.to_string()),
            ("Queue depth", "perf-queue", queue.to_string()),
            ("In flight by host", "perf-hosts", hosts),
            ("Decoded by", "perf-decoders", decoders),
            ("Chunk size", "perf-chunk", f.chunk_size.to_string()),
            (
                "Pressure level",
                "perf-level",
                state.pressure.get().name().to_string(),
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
                // `+ 0.0` makes a negative zero a plain zero ("0%", not "-0%").
                format!("{:.0}%", last.worker_busy_percent.max(0.0) + 0.0),
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
