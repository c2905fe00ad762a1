//! Where a worker's time goes: milliseconds per stage of collecting an item,
//! summed, and the spans in which the worker could not answer a message.
//!
//! A worker fills one [`StageProfile`] as it works and publishes its
//! [`StageProfile::summary`] (as `globalThis.__collectorProfile` in the
//! worker), which `make bench` reads to say what limits throughput and Cancel
//! from a measurement rather than a guess. Download, waiting and storing are
//! asynchronous (other items go on meanwhile), and so is the browser's own
//! decoder; checking, drawing the thumbnail, and the wasm decoders and
//! hashing where they stand in, run on the worker's one thread and hold
//! everything else back, a Cancel included. It also counts the thumbnails
//! each decode path made and why a path had to stand in for another.
//! Times are passed in; nothing here reads a clock.

use serde::Serialize;

use crate::core::decode::DecodePath;
use crate::core::metrics::Ring;

/// One stage of collecting an item in a worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for a download slot of the host (the per-host cap, a pause).
    Wait,
    /// The request and its body, until the last byte.
    Download,
    /// Sniffing the format and reading the header's dimensions.
    Check,
    /// Decoding and scaling the thumbnail (waiting for the browser's
    /// decoder included).
    Decode,
    /// SHA-256 of the original.
    Hash,
    /// Writing the original to Cache Storage.
    StoreOriginal,
    /// Writing the item's record to IndexedDB.
    StoreRecord,
}

impl Stage {
    pub const ALL: [Stage; 7] = [
        Stage::Wait,
        Stage::Download,
        Stage::Check,
        Stage::Decode,
        Stage::Hash,
        Stage::StoreOriginal,
        Stage::StoreRecord,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Wait => "wait",
            Stage::Download => "download",
            Stage::Check => "check",
            Stage::Decode => "decode",
            Stage::Hash => "hash",
            Stage::StoreOriginal => "store_original",
            Stage::StoreRecord => "store_record",
        }
    }
}

/// Synchronous spans kept for the percentiles (the newest ones).
const SPANS_KEPT: usize = 1024;
/// Distinct stand-in reasons kept (the first ones; later ones are counted
/// under the last entry).
const REASONS_KEPT: usize = 16;

/// A worker's stage times since it started.
#[derive(Clone, Debug)]
pub struct StageProfile {
    totals_ms: [f64; Stage::ALL.len()],
    items: u64,
    spans: Ring<f64>,
    /// Thumbnails made by each path, in [`DecodePath::ALL`] order.
    by_path: [u64; DecodePath::ALL.len()],
    fallbacks: Vec<Fallback>,
}

impl Default for StageProfile {
    fn default() -> Self {
        StageProfile {
            totals_ms: [0.0; Stage::ALL.len()],
            items: 0,
            spans: Ring::new(SPANS_KEPT),
            by_path: [0; DecodePath::ALL.len()],
            fallbacks: Vec::new(),
        }
    }
}

/// Why a decode path could not make a thumbnail, and how often.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fallback {
    pub path: DecodePath,
    pub reason: String,
    pub count: u64,
}

/// What a worker publishes: totals per stage, and how long it was deaf to
/// messages at a stretch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProfileSummary {
    /// Items that were checked, decoded, hashed and stored.
    pub items: u64,
    /// Total ms per stage, by [`Stage::name`], in [`Stage::ALL`] order.
    pub ms: Vec<(&'static str, f64)>,
    /// The synchronous work of one item (check, drawing the thumbnail, and
    /// any wasm decoding and hashing): median, 95th percentile and longest
    /// of the newest 1 024, in ms. Each is at most that long a stretch in
    /// which the worker could not hear a message.
    pub sync_p50_ms: f64,
    pub sync_p95_ms: f64,
    pub sync_max_ms: f64,
    /// Thumbnails made by each path, by its setting word.
    pub paths: Vec<(&'static str, u64)>,
    /// Why paths stood in for others.
    pub fallbacks: Vec<Fallback>,
}

impl StageProfile {
    /// Adds `ms` to a stage (negative or NaN times count as 0).
    pub fn add(&mut self, stage: Stage, ms: f64) {
        let i = Stage::ALL.iter().position(|s| *s == stage).unwrap_or(0);
        self.totals_ms[i] += if ms.is_finite() { ms.max(0.0) } else { 0.0 };
    }

    /// A thumbnail was made by `path`, after the paths in `failed` could not.
    pub fn decoded(&mut self, path: DecodePath, failed: &[(DecodePath, String)]) {
        let i = DecodePath::ALL.iter().position(|p| *p == path).unwrap_or(0);
        self.by_path[i] += 1;
        self.could_not(failed);
    }

    /// The paths in `failed` could not decode an image (and none could, if
    /// no [`decoded`](Self::decoded) follows).
    pub fn could_not(&mut self, failed: &[(DecodePath, String)]) {
        for (path, reason) in failed {
            let known = self
                .fallbacks
                .iter()
                .position(|f| f.path == *path && f.reason == *reason);
            match known {
                Some(i) => self.fallbacks[i].count += 1,
                None if self.fallbacks.len() < REASONS_KEPT => self.fallbacks.push(Fallback {
                    path: *path,
                    reason: reason.clone(),
                    count: 1,
                }),
                None => {
                    if let Some(last) = self.fallbacks.last_mut() {
                        last.count += 1;
                    }
                }
            }
        }
    }

    /// One item went through: its synchronous work took `sync_ms`.
    pub fn item_done(&mut self, sync_ms: f64) {
        self.items += 1;
        if sync_ms.is_finite() {
            self.spans.push(sync_ms.max(0.0));
        }
    }

    pub fn summary(&self) -> ProfileSummary {
        let mut spans: Vec<f64> = self.spans.iter().copied().collect();
        spans.sort_by(f64::total_cmp);
        let at = |p: f64| -> f64 {
            if spans.is_empty() {
                return 0.0;
            }
            let rank = ((p / 100.0) * spans.len() as f64).ceil() as usize;
            spans[rank.clamp(1, spans.len()) - 1]
        };
        ProfileSummary {
            items: self.items,
            ms: Stage::ALL
                .iter()
                .zip(self.totals_ms)
                .map(|(s, ms)| (s.name(), ms))
                .collect(),
            sync_p50_ms: at(50.0),
            sync_p95_ms: at(95.0),
            sync_max_ms: spans.last().copied().unwrap_or(0.0),
            paths: DecodePath::ALL
                .iter()
                .zip(self.by_path)
                .map(|(p, n)| (p.name(), n))
                .collect(),
            fallbacks: self.fallbacks.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_sums_stages_and_ranks_sync_spans() {
        let mut p = StageProfile::default();
        p.add(Stage::Download, 30.0);
        p.add(Stage::Download, 10.0);
        p.add(Stage::Decode, 25.5);
        p.add(Stage::Hash, f64::NAN);
        p.add(Stage::Wait, -3.0);
        for ms in 1..=100 {
            p.item_done(ms as f64);
        }
        let s = p.summary();
        assert_eq!(s.items, 100);
        assert_eq!(s.ms[0], ("wait", 0.0));
        assert_eq!(s.ms[1], ("download", 40.0));
        assert_eq!(s.ms[3], ("decode", 25.5));
        assert_eq!(s.ms[4], ("hash", 0.0));
        assert_eq!(
            (s.sync_p50_ms, s.sync_p95_ms, s.sync_max_ms),
            (50.0, 95.0, 100.0)
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["ms"][1], serde_json::json!(["download", 40.0]));
    }

    #[test]
    fn profile_counts_paths_and_why_they_stood_in() {
        let mut p = StageProfile::default();
        let missing = (DecodePath::ImageDecoder, "it is missing".to_string());
        p.decoded(DecodePath::ImageDecoder, &[]);
        p.decoded(
            DecodePath::CreateImageBitmap,
            std::slice::from_ref(&missing),
        );
        p.decoded(
            DecodePath::CreateImageBitmap,
            std::slice::from_ref(&missing),
        );
        for i in 0..40 {
            p.could_not(&[(DecodePath::ImageCrate, format!("reason {i}"))]);
        }
        let s = p.summary();
        assert_eq!(s.paths[0], ("image_decoder", 1));
        assert_eq!(s.paths[1], ("browser", 2));
        assert_eq!(s.fallbacks[0].count, 2);
        assert_eq!(s.fallbacks.len(), REASONS_KEPT);
        assert_eq!(s.fallbacks.iter().map(|f| f.count).sum::<u64>(), 42);
    }

    #[test]
    fn profile_keeps_a_bounded_window_of_spans() {
        let mut p = StageProfile::default();
        for _ in 0..5_000 {
            p.item_done(1.0);
        }
        p.item_done(900.0);
        assert_eq!(p.spans.len(), SPANS_KEPT);
        assert_eq!(p.summary().sync_max_ms, 900.0);
        assert_eq!(p.summary().items, 5_001);
        assert_eq!(StageProfile::default().summary().sync_p95_ms, 0.0);
    }
}
