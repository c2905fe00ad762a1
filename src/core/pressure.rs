//! The memory pressure level: Normal, Warning or Critical, from memory readings.
//!
//! The collector takes smaller bites (and the cache shrinks) when memory runs
//! short, but memory readings jitter, and a level that flips on every sample
//! would make the chunk planner and the UI flap. So [`PressureMachine`] uses
//! hysteresis: a level is entered when a reading reaches its line and left
//! only once a reading falls 10% below that line. Readings arrive with their
//! time as a number (ms); nothing here reads a clock. [`MemoryReading`] is the
//! plain set of numbers the browser-side sampler fills in.

use std::fmt;

use serde::{Deserialize, Serialize};

const MIB: u64 = 1024 * 1024;

/// How short of memory the page is.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum PressureLevel {
    /// Below the warning line.
    #[default]
    Normal,
    /// At or above the warning line.
    Warning,
    /// At or above the critical line.
    Critical,
}

impl PressureLevel {
    /// The level's name in lower case: "normal", "warning" or "critical".
    pub fn name(self) -> &'static str {
        match self {
            PressureLevel::Normal => "normal",
            PressureLevel::Warning => "warning",
            PressureLevel::Critical => "critical",
        }
    }
}

impl fmt::Display for PressureLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A change of level, as [`PressureMachine::observe`] reports it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LevelChange {
    /// The level before the reading.
    pub from: PressureLevel,
    /// The level after it.
    pub to: PressureLevel,
    /// The reading that caused the change, in bytes.
    pub reading_bytes: u64,
    /// When the reading was taken (ms, as passed in).
    pub at_ms: f64,
    /// The line that was crossed, in bytes: going up, the line of `to`;
    /// going down, the lowest line left behind (the line of the level just
    /// above `to`).
    pub line_bytes: u64,
}

impl LevelChange {
    /// Whether memory got worse (a higher level).
    pub fn is_rise(&self) -> bool {
        self.to > self.from
    }
}

impl fmt::Display for LevelChange {
    /// "memory 812 MB passed the critical line (800 MB)" or
    /// "memory 350 MB fell below the warning line (400 MB)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (verb, line_level) = if self.is_rise() {
            ("passed", self.to)
        } else {
            let above_to = match self.to {
                PressureLevel::Normal => PressureLevel::Warning,
                PressureLevel::Warning | PressureLevel::Critical => PressureLevel::Critical,
            };
            ("fell below", above_to)
        };
        write!(
            f,
            "memory {} MB {} the {} line ({} MB)",
            mb(self.reading_bytes),
            verb,
            line_level.name(),
            mb(self.line_bytes)
        )
    }
}

/// Bytes to whole MB (MiB), rounded to the nearest.
fn mb(bytes: u64) -> u64 {
    bytes / MIB + u64::from(bytes % MIB >= MIB / 2)
}

/// The line a level is left below: 10% under its entry line (rounded up).
fn exit_line(line: u64) -> u64 {
    line - line / 10
}

/// Turns memory readings into a pressure level, with hysteresis.
#[derive(Clone, Debug)]
pub struct PressureMachine {
    warning: u64,
    critical: u64,
    level: PressureLevel,
}

impl PressureMachine {
    /// A machine at Normal with the given lines (bytes). A warning line above
    /// the critical line is taken as equal to it.
    pub fn new(warning_bytes: u64, critical_bytes: u64) -> Self {
        PressureMachine {
            warning: warning_bytes.min(critical_bytes),
            critical: critical_bytes,
            level: PressureLevel::Normal,
        }
    }

    /// Changes the lines; the level is re-evaluated at the next
    /// [`observe`](Self::observe).
    pub fn set_lines(&mut self, warning_bytes: u64, critical_bytes: u64) {
        self.warning = warning_bytes.min(critical_bytes);
        self.critical = critical_bytes;
    }

    /// The warning line, in bytes.
    pub fn warning_line(&self) -> u64 {
        self.warning
    }

    /// The critical line, in bytes.
    pub fn critical_line(&self) -> u64 {
        self.critical
    }

    /// The current level.
    pub fn level(&self) -> PressureLevel {
        self.level
    }

    /// Feeds a reading taken at `at_ms`; returns the change if the level moved.
    pub fn observe(&mut self, reading_bytes: u64, at_ms: f64) -> Option<LevelChange> {
        let from = self.level;
        let to = self.level_for(reading_bytes);
        if to == from {
            return None;
        }
        self.level = to;
        let line_bytes = if to > from {
            self.line_of(to)
        } else if to == PressureLevel::Normal {
            self.warning
        } else {
            self.critical
        };
        Some(LevelChange {
            from,
            to,
            reading_bytes,
            at_ms,
            line_bytes,
        })
    }

    /// The level a reading leads to from the current level.
    fn level_for(&self, reading: u64) -> PressureLevel {
        // The level the reading reaches on its own.
        let reached = if reading >= self.critical {
            PressureLevel::Critical
        } else if reading >= self.warning {
            PressureLevel::Warning
        } else {
            PressureLevel::Normal
        };
        // The level kept from before: a level stays until 10% below its line.
        let kept = match self.level {
            PressureLevel::Critical if reading >= exit_line(self.critical) => {
                PressureLevel::Critical
            }
            PressureLevel::Critical | PressureLevel::Warning
                if reading >= exit_line(self.warning) =>
            {
                PressureLevel::Warning
            }
            _ => PressureLevel::Normal,
        };
        reached.max(kept)
    }

    fn line_of(&self, level: PressureLevel) -> u64 {
        match level {
            PressureLevel::Normal => 0,
            PressureLevel::Warning => self.warning,
            PressureLevel::Critical => self.critical,
        }
    }
}

/// The thumbnail cache's budget at a pressure level: all of `budget_bytes`
/// while memory is normal, half at the warning line, a quarter past the
/// critical line.
pub fn cache_budget(budget_bytes: u64, level: PressureLevel) -> u64 {
    match level {
        PressureLevel::Normal => budget_bytes,
        PressureLevel::Warning => budget_bytes / 2,
        PressureLevel::Critical => budget_bytes / 4,
    }
}

/// One sample of the page's memory, as the sampler reads it (all in bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryReading {
    /// `performance.memory.usedJSHeapSize` (Chromium only).
    pub js_heap_used: Option<u64>,
    /// `performance.memory.totalJSHeapSize` (Chromium only).
    pub js_heap_total: Option<u64>,
    /// `performance.memory.jsHeapSizeLimit` (Chromium only).
    pub js_heap_limit: Option<u64>,
    /// `performance.measureUserAgentSpecificMemory()` (cross-origin isolated pages only).
    pub ua_specific: Option<u64>,
    /// The page's wasm linear memory.
    pub page_wasm: u64,
    /// The workers' wasm linear memories, added up.
    pub workers_wasm: u64,
    /// Bytes held by the thumbnail cache (decoded bitmaps: outside the JS
    /// heap and wasm memory).
    pub cache_bytes: u64,
}

impl MemoryReading {
    /// The figure the level machine watches: the larger of two views.
    ///
    /// - The sum `js_heap_used + page_wasm + workers_wasm + cache_bytes`:
    ///   `performance.memory`'s used heap includes neither wasm memory nor the
    ///   workers, and the cache's bitmaps live outside both. It is fresh every
    ///   second. A missing heap figure counts as 0.
    /// - `ua_specific` (`measureUserAgentSpecificMemory`), which covers the page
    ///   and its workers but arrives only after a garbage collection, so it
    ///   can be seconds old.
    ///
    /// Taking the larger keeps a stale figure from hiding a rise.
    pub fn total(&self) -> u64 {
        let sum = self
            .js_heap_used
            .unwrap_or(0)
            .saturating_add(self.page_wasm)
            .saturating_add(self.workers_wasm)
            .saturating_add(self.cache_bytes);
        sum.max(self.ua_specific.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_budget_halves_at_warning_and_quarters_at_critical() {
        assert_eq!(cache_budget(128, PressureLevel::Normal), 128);
        assert_eq!(cache_budget(128, PressureLevel::Warning), 64);
        assert_eq!(cache_budget(128, PressureLevel::Critical), 32);
    }

    const MB: u64 = MIB;

    fn machine() -> PressureMachine {
        PressureMachine::new(400 * MB, 800 * MB)
    }

    /// Feeds readings (in MB) one ms apart; returns the level after each.
    fn levels(m: &mut PressureMachine, readings_mb: &[u64]) -> Vec<PressureLevel> {
        readings_mb
            .iter()
            .enumerate()
            .map(|(i, r)| {
                m.observe(r * MB, i as f64);
                m.level()
            })
            .collect()
    }

    #[test]
    fn pressure_hysteresis_keeps_a_level_until_ten_percent_below_its_line() {
        use PressureLevel::*;
        let mut m = machine();
        // Hovering around the warning line: entered once, kept while above 360 MB.
        let seq = [
            390, 399, 400, 395, 401, 370, 399, 361, 360, 405, 359, 380, 399,
        ];
        let got = levels(&mut m, &seq);
        assert_eq!(
            got,
            vec![
                Normal, Normal, Warning, Warning, Warning, Warning, Warning, Warning, Warning,
                Warning, Normal, Normal, Normal
            ]
        );
        // Count the changes: only two while hovering.
        let mut m = machine();
        let changes = seq.iter().filter_map(|r| m.observe(r * MB, 0.0)).count();
        assert_eq!(changes, 2);

        // Around the critical line: kept down to 720 MB, then Warning.
        let mut m = machine();
        let got = levels(&mut m, &[800, 790, 750, 721, 720, 805, 719, 500]);
        assert_eq!(
            got,
            vec![Critical, Critical, Critical, Critical, Critical, Critical, Warning, Warning]
        );
        // Exactly at 90% of the line is still kept; one byte less is not.
        let mut m = machine();
        m.observe(400 * MB, 0.0);
        assert_eq!(m.observe(360 * MB, 1.0), None);
        let change = m.observe(360 * MB - 1, 2.0).map(|c| c.to);
        assert_eq!(change, Some(Normal));
    }

    #[test]
    fn pressure_jumps_straight_to_critical() {
        let mut m = machine();
        let change = m.observe(900 * MB, 5.0);
        assert_eq!(
            change,
            Some(LevelChange {
                from: PressureLevel::Normal,
                to: PressureLevel::Critical,
                reading_bytes: 900 * MB,
                at_ms: 5.0,
                line_bytes: 800 * MB,
            })
        );
        // And straight down to Normal when below the warning's exit line.
        let down = m
            .observe(100 * MB, 6.0)
            .map(|c| (c.from, c.to, c.line_bytes));
        assert_eq!(
            down,
            Some((PressureLevel::Critical, PressureLevel::Normal, 400 * MB))
        );
    }

    #[test]
    fn pressure_lines_can_change_at_run_time() {
        let mut m = machine();
        assert_eq!(
            m.observe(500 * MB, 0.0).map(|c| c.to),
            Some(PressureLevel::Warning)
        );
        // Raising the lines changes nothing until the next reading.
        m.set_lines(1_000 * MB, 2_000 * MB);
        assert_eq!(m.level(), PressureLevel::Warning);
        assert_eq!(
            m.observe(500 * MB, 1.0).map(|c| c.to),
            Some(PressureLevel::Normal)
        );
        // Lowering them puts the same reading at Critical.
        m.set_lines(200 * MB, 450 * MB);
        assert_eq!(
            m.observe(500 * MB, 2.0).map(|c| c.to),
            Some(PressureLevel::Critical)
        );
        assert_eq!((m.warning_line(), m.critical_line()), (200 * MB, 450 * MB));
        // A warning line above the critical one is taken as equal to it.
        m.set_lines(900 * MB, 600 * MB);
        assert_eq!(m.warning_line(), 600 * MB);
        // Zero lines: everything is Critical, nothing panics.
        m.set_lines(0, 0);
        assert_eq!(m.observe(0, 3.0).map(|c| c.to), None);
        assert_eq!(m.level(), PressureLevel::Critical);
    }

    #[test]
    fn pressure_change_reads_as_a_sentence() {
        let mut m = machine();
        let up = m.observe(812 * MB, 0.0).map(|c| c.to_string());
        assert_eq!(
            up.as_deref(),
            Some("memory 812 MB passed the critical line (800 MB)")
        );
        let down = m.observe(700 * MB, 1.0).map(|c| c.to_string());
        assert_eq!(
            down.as_deref(),
            Some("memory 700 MB fell below the critical line (800 MB)")
        );
        let down = m.observe(350 * MB, 2.0).map(|c| c.to_string());
        assert_eq!(
            down.as_deref(),
            Some("memory 350 MB fell below the warning line (400 MB)")
        );
        let up = m.observe(450 * MB, 3.0).map(|c| c.to_string());
        assert_eq!(
            up.as_deref(),
            Some("memory 450 MB passed the warning line (400 MB)")
        );
        assert_eq!(PressureLevel::Warning.name(), "warning");
        assert_eq!(PressureLevel::default(), PressureLevel::Normal);
    }

    #[test]
    fn memory_reading_total_is_the_larger_of_the_sum_and_the_user_agent_figure() {
        let mut r = MemoryReading {
            js_heap_used: Some(100),
            js_heap_total: Some(200),
            js_heap_limit: Some(1_000),
            ua_specific: None,
            page_wasm: 30,
            workers_wasm: 70,
            cache_bytes: 50,
        };
        assert_eq!(r.total(), 250);
        r.ua_specific = Some(999);
        assert_eq!(r.total(), 999);
        r.ua_specific = Some(10);
        assert_eq!(r.total(), 250, "a stale, lower figure does not hide a rise");
        assert_eq!(MemoryReading::default().total(), 0);
    }
}
