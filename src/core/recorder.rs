//! The performance panel's recorder: once a second, one [`MetricsRow`] of
//! what the page measured (memory, the cache, images/s and MB/s from the
//! collection's cumulative counts, the workers' busy share, the page's long
//! tasks) into a [`Ring`] of five minutes that never grows; and the alert
//! log, each line with its time and the figures of its second.
//!
//! It runs for the page's life, whether the panel is open or not. It reads
//! nothing itself: the page hands it each second's readings, the workers'
//! `Busy` messages and the collection's figures, with the time.

use std::collections::HashMap;

use crate::core::cache::CacheStats;
use crate::core::collection::Figures;
use crate::core::metrics::{
    busy_percent, recent_rate, to_csv, MetricsRow, RateMeter, Ring, SlowThroughput, SECONDS_KEPT,
};
use crate::core::pressure::{MemoryReading, PressureLevel};

/// Alert lines kept in the log.
pub const ALERTS_KEPT: usize = 100;
/// A worker's `Busy` older than this counts as idle.
const BUSY_FRESH_MS: f64 = 1_500.0;
const MIB: f64 = 1024.0 * 1024.0;

/// What the page measured in one second.
#[derive(Clone, Debug, Default)]
pub struct Second {
    /// Now, ms since the Unix epoch.
    pub now_ms: f64,
    /// Images collected so far by the shown collection.
    pub collected: u32,
    /// A collection is under way (collecting or paused).
    pub running: bool,
    /// It is collecting (not paused).
    pub collecting: bool,
    pub reading: MemoryReading,
    pub level: PressureLevel,
    pub cache: CacheStats,
    /// Workers in the pool.
    pub workers: usize,
}

/// The rows, the workers' busy reports, the collection's figures and the
/// alert log.
pub struct Recorder {
    rows: Ring<MetricsRow>,
    /// Each worker's latest busy ms, and when it arrived (Unix ms).
    busy: HashMap<usize, (f64, f64)>,
    long_task_ms: f64,
    figures: Figures,
    images: RateMeter,
    bytes: RateMeter,
    slow: SlowThroughput,
    running: bool,
    alerts: Ring<String>,
    /// Alerts raised before the first second was recorded: they are logged
    /// with that second's figures.
    early: Vec<String>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            rows: Ring::new(SECONDS_KEPT),
            busy: HashMap::new(),
            long_task_ms: 0.0,
            figures: Figures::default(),
            images: RateMeter::default(),
            bytes: RateMeter::default(),
            slow: SlowThroughput::default(),
            running: false,
            alerts: Ring::new(ALERTS_KEPT),
            early: Vec::new(),
        }
    }
}

impl Recorder {
    /// Worker `worker` said how long it was busy in its last second.
    pub fn worker_busy(&mut self, worker: usize, busy_ms: f64, now_ms: f64) {
        self.busy.insert(worker, (busy_ms, now_ms));
    }

    /// The page had long tasks of `ms` in all.
    pub fn long_tasks(&mut self, ms: f64) {
        self.long_task_ms += ms;
    }

    /// The running collection's latest figures.
    pub fn figures(&mut self, f: Figures) {
        self.figures = f;
    }

    /// Takes one second's row. Returns the sentences to raise as alerts
    /// (a throughput that fell under half its median).
    pub fn record(&mut self, s: Second) -> Vec<String> {
        let busy = busy_percent(
            self.busy
                .values()
                .filter(|(_, at)| s.now_ms - at < BUSY_FRESH_MS)
                .map(|(ms, _)| *ms),
            s.workers,
        );
        let images = self.images.observe(s.collected as u64, s.now_ms);
        let bytes = self.bytes.observe(self.figures.collected_bytes, s.now_ms);
        let queue_depth = if s.running {
            self.figures.queue_depth
        } else {
            0
        };
        self.running = s.running;
        self.rows.push(MetricsRow {
            time_ms: s.now_ms,
            js_heap_bytes: s.reading.js_heap_used.unwrap_or(0),
            page_wasm_bytes: s.reading.page_wasm,
            workers_wasm_bytes: s.reading.workers_wasm,
            cache_bytes: s.cache.bytes,
            cache_hit_ratio: s.cache.hit_ratio(),
            images_per_s: images,
            mb_per_s: bytes / MIB,
            worker_busy_percent: busy,
            long_task_ms: std::mem::take(&mut self.long_task_ms),
            queue_depth,
            chunk_size: self.figures.chunk_size,
            level: s.level,
        });
        let mut raised = std::mem::take(&mut self.early);
        if let Some(slow) = self.slow.observe(images, s.collecting && queue_depth > 0) {
            raised.push(slow.to_string());
        }
        raised
    }

    /// Logs an alert at `clock` ("21:40:03") with its second's figures, and
    /// returns the line (for a toast); `None` when no second was recorded
    /// yet: it waits for the first (at most a second).
    pub fn alert(&mut self, sentence: &str, clock: &str) -> Option<String> {
        let Some(figures) = self.rows.last().map(summary) else {
            self.early.push(sentence.to_string());
            return None;
        };
        let line = format!("{clock} {sentence}{figures}");
        self.alerts.push(line.clone());
        Some(line)
    }

    pub fn alerts(&self) -> &Ring<String> {
        &self.alerts
    }

    pub fn rows(&self) -> &Ring<MetricsRow> {
        &self.rows
    }

    /// The last row, or an empty one.
    pub fn last(&self) -> MetricsRow {
        self.rows.last().cloned().unwrap_or_default()
    }

    /// The collection's latest figures.
    pub fn latest_figures(&self) -> &Figures {
        &self.figures
    }

    /// Whether a collection was under way at the last second.
    pub fn running(&self) -> bool {
        self.running
    }

    /// Images a second over the last ten seconds.
    pub fn recent_rate(&self) -> f64 {
        let rates: Vec<f64> = self.rows.newest(10).map(|x| x.images_per_s).collect();
        recent_rate(rates.iter(), 10)
    }

    /// The rows as CSV, a row a second.
    pub fn csv(&self) -> String {
        to_csv(self.rows.iter())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn second(now_ms: f64, collected: u32) -> Second {
        Second {
            now_ms,
            collected,
            running: true,
            collecting: true,
            workers: 2,
            ..Second::default()
        }
    }

    #[test]
    fn a_second_makes_a_row_of_rates_and_busy_share() {
        let mut r = Recorder::default();
        r.record(second(0.0, 0));
        r.worker_busy(0, 500.0, 900.0);
        r.worker_busy(1, 1000.0, 950.0);
        r.long_tasks(60.0);
        r.record(second(1000.0, 20));
        let row = r.last();
        assert_eq!(row.images_per_s, 20.0);
        assert_eq!(row.worker_busy_percent, 75.0);
        assert_eq!(row.long_task_ms, 60.0);
        // A busy report older than 1.5 s counts as idle.
        r.record(second(3000.0, 20));
        assert_eq!(r.last().worker_busy_percent, 0.0);
        assert_eq!(r.last().long_task_ms, 0.0);
        assert!(r.csv().starts_with("time_ms,"));
    }

    #[test]
    fn an_alert_before_the_first_second_waits_for_its_figures() {
        let mut r = Recorder::default();
        assert_eq!(r.alert("worker 1 stopped", "10:00:00"), None);
        let raised = r.record(second(0.0, 0));
        assert_eq!(raised, vec!["worker 1 stopped".to_string()]);
        let line = r.alert("memory is high", "10:00:01").unwrap();
        assert!(
            line.starts_with("10:00:01 memory is high — memory 0 MB, 0.0 images/s"),
            "{line}"
        );
        assert_eq!(r.alerts().len(), 1);
    }

    #[test]
    fn the_rows_never_grow_past_five_minutes() {
        let mut r = Recorder::default();
        for s in 0..1000 {
            r.record(second(s as f64 * 1000.0, s));
        }
        assert_eq!(r.rows().len(), SECONDS_KEPT);
    }
}
