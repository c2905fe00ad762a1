//! The performance panel's numbers: a fixed-capacity ring of per-second rows,
//! and the small computations made from them (rates, ETA, worker busy %, the
//! slow-throughput alert).
//!
//! The panel keeps the last five minutes at one row a second in a [`Ring`],
//! which is allocated once and never grows, so an open (or forgotten) panel
//! costs the same memory after an hour as after a minute. Times are passed in
//! as numbers (ms); nothing here reads a clock.

use std::fmt::Write as _;

use crate::core::pressure::PressureLevel;

/// Rows kept: five minutes at one a second.
pub const SECONDS_KEPT: usize = 300;

/// Seconds of throughput under half its running median, with work queued,
/// before the slow-throughput alert is raised.
pub const SLOW_SECONDS: u32 = 10;

/// A ring buffer of at most `capacity` values: pushing onto a full ring
/// drops the oldest value. Its storage is allocated once, at creation.
#[derive(Clone, Debug)]
pub struct Ring<T> {
    items: Vec<T>,
    /// Index of the oldest value once the ring is full.
    start: usize,
    capacity: usize,
}

impl<T> Ring<T> {
    /// An empty ring holding at most `capacity` values (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Ring {
            items: Vec::with_capacity(capacity),
            start: 0,
            capacity,
        }
    }

    /// Adds a value, dropping the oldest if the ring is full.
    pub fn push(&mut self, value: T) {
        if self.items.len() < self.capacity {
            self.items.push(value);
        } else {
            self.items[self.start] = value;
            self.start = (self.start + 1) % self.capacity;
        }
    }

    /// How many values it holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The most values it will ever hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The values, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        let (newer, older) = self.items.split_at(self.start);
        older.iter().chain(newer.iter())
    }

    /// The newest value.
    pub fn last(&self) -> Option<&T> {
        if self.items.is_empty() {
            None
        } else if self.items.len() < self.capacity || self.start == 0 {
            self.items.last()
        } else {
            self.items.get(self.start - 1)
        }
    }

    /// The newest `n` values (fewer if it holds fewer), oldest first.
    pub fn newest(&self, n: usize) -> impl Iterator<Item = &T> + '_ {
        let skip = self.len().saturating_sub(n);
        self.iter().skip(skip)
    }

    /// Forgets every value (the storage is kept).
    pub fn clear(&mut self) {
        self.items.clear();
        self.start = 0;
    }
}

/// One second of the page's life, as the panel charts it and the CSV holds it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricsRow {
    /// When the row was taken, ms since the Unix epoch.
    pub time_ms: f64,
    /// `performance.memory.usedJSHeapSize` (0 where the browser does not say).
    pub js_heap_bytes: u64,
    pub page_wasm_bytes: u64,
    /// Sum of the workers' wasm memory, as they last reported it.
    pub workers_wasm_bytes: u64,
    /// Bytes of decoded thumbnails in the cache.
    pub cache_bytes: u64,
    /// Cache hits / lookups since the cache was made, 0..=1.
    pub cache_hit_ratio: f64,
    pub images_per_s: f64,
    pub mb_per_s: f64,
    /// Mean share of the last second the workers had work in hand, 0..=100.
    pub worker_busy_percent: f64,
    /// Milliseconds of page-thread long tasks (over 50 ms each) in the second.
    pub long_task_ms: f64,
    /// Candidates waiting for a worker.
    pub queue_depth: u32,
    /// The chunk size the planner would hand out next.
    pub chunk_size: u32,
    pub level: PressureLevel,
}

impl MetricsRow {
    /// The CSV header line (no line end).
    pub fn csv_header() -> &'static str {
        "time_ms,js_heap_bytes,page_wasm_bytes,workers_wasm_bytes,cache_bytes,cache_hit_ratio,\
images_per_s,mb_per_s,worker_busy_percent,long_task_ms,queue_depth,chunk_size,level"
    }

    /// The row as a CSV line (no line end), in [`csv_header`](Self::csv_header)'s order.
    pub fn to_csv(&self) -> String {
        format!(
            "{:.0},{},{},{},{},{:.4},{:.2},{:.3},{:.1},{:.0},{},{},{}",
            self.time_ms,
            self.js_heap_bytes,
            self.page_wasm_bytes,
            self.workers_wasm_bytes,
            self.cache_bytes,
            self.cache_hit_ratio,
            self.images_per_s,
            self.mb_per_s,
            self.worker_busy_percent,
            self.long_task_ms,
            self.queue_depth,
            self.chunk_size,
            self.level.name()
        )
    }
}

/// The rows as a CSV document: the header, then a line per row, oldest first.
pub fn to_csv<'a>(rows: impl IntoIterator<Item = &'a MetricsRow>) -> String {
    let mut out = String::with_capacity(SECONDS_KEPT * 96);
    out.push_str(MetricsRow::csv_header());
    out.push('\n');
    for row in rows {
        let _ = writeln!(out, "{}", row.to_csv());
    }
    out
}

/// A per-second rate from two readings of a cumulative count taken
/// `elapsed_ms` apart. A count that went down (a new collection started) or
/// no time passed gives 0.
pub fn rate_per_second(earlier: u64, later: u64, elapsed_ms: f64) -> f64 {
    if later < earlier || elapsed_ms.is_nan() || elapsed_ms <= 0.0 {
        return 0.0;
    }
    (later - earlier) as f64 * 1000.0 / elapsed_ms
}

/// Turns readings of a cumulative count into a per-second rate.
#[derive(Clone, Copy, Debug, Default)]
pub struct RateMeter {
    last: Option<(f64, u64)>,
}

impl RateMeter {
    /// Takes the count at `at_ms`; returns the rate since the previous
    /// reading (0 for the first one).
    pub fn observe(&mut self, count: u64, at_ms: f64) -> f64 {
        let rate = match self.last {
            Some((t, c)) => rate_per_second(c, count, at_ms - t),
            None => 0.0,
        };
        self.last = Some((at_ms, count));
        rate
    }
}

/// The mean of the newest `window` rates, counting only seconds with work
/// (a rate above 0); 0 if there were none.
pub fn recent_rate<'a>(rates: impl DoubleEndedIterator<Item = &'a f64>, window: usize) -> f64 {
    let busy: Vec<f64> = rates
        .rev()
        .take(window)
        .copied()
        .filter(|r| *r > 0.0)
        .collect();
    if busy.is_empty() {
        0.0
    } else {
        busy.iter().sum::<f64>() / busy.len() as f64
    }
}

/// Seconds until `remaining` images are done at `rate_per_s`; `None` when
/// there is no rate to go by.
pub fn eta_seconds(remaining: u64, rate_per_s: f64) -> Option<f64> {
    if remaining == 0 {
        return Some(0.0);
    }
    if rate_per_s.is_finite() && rate_per_s > 0.0 {
        Some(remaining as f64 / rate_per_s)
    } else {
        None
    }
}

/// The workers' busy share of a second, in percent: each worker's busy ms
/// in its last second over 1000, clamped to 0..=100, averaged over `workers`
/// (a worker that said nothing counts as idle).
pub fn busy_percent(busy_ms: impl IntoIterator<Item = f64>, workers: usize) -> f64 {
    if workers == 0 {
        return 0.0;
    }
    let sum: f64 = busy_ms
        .into_iter()
        .take(workers)
        .map(|ms| {
            if ms.is_finite() {
                (ms / 10.0).clamp(0.0, 100.0)
            } else {
                0.0
            }
        })
        .sum();
    (sum / workers as f64).clamp(0.0, 100.0)
}

/// The slow-throughput alert, raised once a run of slow seconds lasts
/// [`SLOW_SECONDS`].
#[derive(Clone, Debug, PartialEq)]
pub struct SlowAlert {
    /// The rate of the second that raised it.
    pub rate: f64,
    /// The running median it was compared with.
    pub median: f64,
}

impl std::fmt::Display for SlowAlert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "throughput fell to {:.1} images/s, under half its running median ({:.1} images/s), for {} s while work was queued",
            self.rate, self.median, SLOW_SECONDS
        )
    }
}

/// Watches images/s, a second at a time: when it stays under half its
/// running median (of the seconds that had work queued) for
/// [`SLOW_SECONDS`] in a row while work is queued, it raises one alert, and
/// raises again only after a second that was not slow.
#[derive(Clone, Debug)]
pub struct SlowThroughput {
    history: Ring<f64>,
    slow_run: u32,
    raised: bool,
}

impl Default for SlowThroughput {
    fn default() -> Self {
        SlowThroughput {
            history: Ring::new(SECONDS_KEPT),
            slow_run: 0,
            raised: false,
        }
    }
}

impl SlowThroughput {
    /// Seconds of history needed before a second can count as slow.
    pub const WARM_UP: usize = 10;

    /// The median of the rates seen while work was queued, if enough were seen.
    pub fn median(&self) -> Option<f64> {
        if self.history.len() < Self::WARM_UP {
            return None;
        }
        let mut v: Vec<f64> = self.history.iter().copied().collect();
        v.sort_by(|a, b| a.total_cmp(b));
        let mid = v.len() / 2;
        Some(if v.len().is_multiple_of(2) {
            (v[mid - 1] + v[mid]) / 2.0
        } else {
            v[mid]
        })
    }

    /// Takes one second's rate and whether work was queued then.
    pub fn observe(&mut self, rate: f64, work_queued: bool) -> Option<SlowAlert> {
        if !work_queued {
            self.slow_run = 0;
            self.raised = false;
            return None;
        }
        let median = self.median();
        self.history.push(rate);
        let slow = matches!(median, Some(m) if m > 0.0 && rate < m / 2.0);
        if !slow {
            self.slow_run = 0;
            self.raised = false;
            return None;
        }
        self.slow_run += 1;
        if self.slow_run >= SLOW_SECONDS && !self.raised {
            self.raised = true;
            return Some(SlowAlert {
                rate,
                median: median.unwrap_or(0.0),
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_never_grows_past_its_capacity() {
        let mut ring = Ring::new(SECONDS_KEPT);
        let storage = ring.items.capacity();
        for i in 0..10 * SECONDS_KEPT {
            ring.push(i);
            assert!(ring.len() <= SECONDS_KEPT);
        }
        assert_eq!(ring.len(), SECONDS_KEPT);
        assert_eq!(
            ring.items.capacity(),
            storage,
            "the storage was never reallocated"
        );
    }

    #[test]
    fn ring_keeps_the_newest_values_oldest_first() {
        let mut ring = Ring::new(3);
        assert_eq!(ring.last(), None);
        for i in 1..=5 {
            ring.push(i);
        }
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), vec![3, 4, 5]);
        assert_eq!(ring.last(), Some(&5));
        assert_eq!(ring.newest(2).copied().collect::<Vec<_>>(), vec![4, 5]);
        ring.push(6);
        assert_eq!(ring.last(), Some(&6));
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), vec![4, 5, 6]);
        ring.clear();
        assert!(ring.is_empty());
        assert_eq!(
            Ring::<u8>::new(0).capacity(),
            1,
            "a ring holds at least one value"
        );
    }

    #[test]
    fn rate_from_cumulative_counts() {
        assert_eq!(rate_per_second(10, 40, 1000.0), 30.0);
        assert_eq!(rate_per_second(10, 40, 2000.0), 15.0);
        assert_eq!(
            rate_per_second(40, 10, 1000.0),
            0.0,
            "a count that went down is a new collection"
        );
        assert_eq!(rate_per_second(10, 40, 0.0), 0.0);
        let mut meter = RateMeter::default();
        assert_eq!(
            meter.observe(5, 0.0),
            0.0,
            "the first reading has nothing to compare with"
        );
        assert_eq!(meter.observe(25, 1000.0), 20.0);
        assert_eq!(meter.observe(25, 2000.0), 0.0);
        assert_eq!(meter.observe(26, 2500.0), 2.0);
    }

    #[test]
    fn eta_from_recent_rate() {
        let rates = [90.0, 10.0, 20.0, 0.0, 30.0];
        let rate = recent_rate(rates.iter(), 4);
        assert_eq!(rate, 20.0, "the newest four seconds, idle ones not counted");
        assert_eq!(eta_seconds(100, rate), Some(5.0));
        assert_eq!(
            eta_seconds(100, recent_rate([0.0, 0.0].iter(), 10)),
            None,
            "no rate, no ETA"
        );
        assert_eq!(eta_seconds(100, f64::NAN), None);
        assert_eq!(eta_seconds(0, 0.0), Some(0.0), "nothing left is done now");
    }

    #[test]
    fn busy_percent_is_clamped() {
        assert_eq!(busy_percent([500.0, 1000.0], 2), 75.0);
        assert_eq!(
            busy_percent([1800.0], 1),
            100.0,
            "a late tick cannot make a worker more than busy"
        );
        assert_eq!(busy_percent([-5.0, f64::NAN], 2), 0.0);
        assert_eq!(
            busy_percent([1000.0], 4),
            25.0,
            "silent workers count as idle"
        );
        assert_eq!(busy_percent([1000.0], 0), 0.0);
    }

    #[test]
    fn throughput_alert_after_ten_slow_seconds() {
        let mut watch = SlowThroughput::default();
        for _ in 0..30 {
            assert_eq!(watch.observe(40.0, true), None);
        }
        for s in 1..SLOW_SECONDS {
            assert_eq!(
                watch.observe(10.0, true),
                None,
                "second {s} of slowness is not yet an alert"
            );
        }
        let alert = watch
            .observe(10.0, true)
            .expect("the tenth slow second raises it");
        assert_eq!(
            alert,
            SlowAlert {
                rate: 10.0,
                median: 40.0
            }
        );
        assert!(alert
            .to_string()
            .starts_with("throughput fell to 10.0 images/s"));
        for _ in 0..20 {
            assert_eq!(watch.observe(10.0, true), None, "raised once per slow run");
        }
    }

    #[test]
    fn throughput_alert_needs_queued_work_and_an_unbroken_run() {
        let mut watch = SlowThroughput::default();
        for _ in 0..30 {
            watch.observe(40.0, true);
        }
        for _ in 0..30 {
            assert_eq!(
                watch.observe(0.0, false),
                None,
                "an empty queue is not slowness"
            );
        }
        for _ in 0..9 {
            watch.observe(5.0, true);
        }
        assert_eq!(
            watch.observe(35.0, true),
            None,
            "a normal second breaks the run"
        );
        for _ in 0..9 {
            assert_eq!(watch.observe(5.0, true), None);
        }
        assert!(watch.observe(5.0, true).is_some());
        let mut fresh = SlowThroughput::default();
        for _ in 0..20 {
            assert_eq!(
                fresh.observe(1.0, true),
                None,
                "no alert before the median is known or when steady"
            );
        }
    }

    #[test]
    fn csv_has_a_header_and_a_line_per_row() {
        let row = MetricsRow {
            time_ms: 1_700_000_000_000.0,
            js_heap_bytes: 10,
            images_per_s: 12.5,
            level: PressureLevel::Warning,
            ..MetricsRow::default()
        };
        let csv = to_csv([&row, &row]);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], MetricsRow::csv_header());
        assert_eq!(lines[1].split(',').count(), lines[0].split(',').count());
        assert!(lines[1].starts_with("1700000000000,10,"));
        assert!(lines[1].ends_with(",warning"));
    }
}
