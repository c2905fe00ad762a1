//! Adaptive chunk sizes: how many candidates to hand a worker at once.
//!
//! Small chunks keep Cancel and progress responsive and hold little memory;
//! large chunks spend less time on messages between the page and the workers.
//! The best size depends on the network and the images, so the planner starts
//! from the user's setting, doubles after full chunks that finish quickly,
//! halves after slow ones, and backs off when memory runs short. It always
//! stays within [`MIN_CHUNK`, `MAX_CHUNK`]. Times are passed in as numbers.

/// The smallest chunk.
pub const MIN_CHUNK: usize = 1;
/// The largest chunk.
pub const MAX_CHUNK: usize = 64;
/// A full chunk finishing faster than this (ms) lets the size double.
pub const FAST_MS: f64 = 1_000.0;
/// A chunk taking longer than this (ms) halves the size.
pub const SLOW_MS: f64 = 10_000.0;

/// How short of memory the page is: the planner takes smaller bites at
/// `Warning` and one image at a time at `Critical`.
pub use crate::core::pressure::PressureLevel as Pressure;

/// Chooses the size of the next chunk from how the previous ones went.
#[derive(Clone, Debug)]
pub struct ChunkPlanner {
    size: usize,
    ceiling: usize,
    pressure: Pressure,
}

impl ChunkPlanner {
    /// A planner starting at `initial`, clamped to [`MIN_CHUNK`, `MAX_CHUNK`].
    pub fn new(initial: usize) -> Self {
        ChunkPlanner {
            size: initial.clamp(MIN_CHUNK, MAX_CHUNK),
            ceiling: MAX_CHUNK,
            pressure: Pressure::Normal,
        }
    }

    /// The size of the next chunk.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The user's ceiling: chunks never grow past it (`None` = [`MAX_CHUNK`]).
    /// A current size above the new ceiling is lowered to it.
    pub fn set_ceiling(&mut self, ceiling: Option<usize>) {
        self.ceiling = ceiling.unwrap_or(MAX_CHUNK).clamp(MIN_CHUNK, MAX_CHUNK);
        self.size = self.size.min(self.ceiling);
    }

    /// A chunk of `items` candidates finished after `elapsed_ms`.
    ///
    /// Over [`SLOW_MS`] halves the size. A full chunk (at least the current
    /// size) under [`FAST_MS`] doubles it, up to the ceiling, but only while
    /// memory pressure is normal. Non-finite or negative times are ignored.
    pub fn chunk_done(&mut self, items: usize, elapsed_ms: f64) {
        if !elapsed_ms.is_finite() || elapsed_ms < 0.0 {
            return;
        }
        if elapsed_ms > SLOW_MS {
            self.halve();
        } else if items >= self.size && elapsed_ms < FAST_MS && self.pressure == Pressure::Normal {
            self.size = self.size.saturating_mul(2).min(self.ceiling).max(MIN_CHUNK);
        }
    }

    /// The memory watcher reports a level. Entering `Warning` halves the size
    /// (once per entry, not on every report); `Critical` sets it to 1; back at
    /// `Normal` it may grow again from where it is.
    pub fn pressure(&mut self, level: Pressure) {
        match level {
            Pressure::Warning if self.pressure != Pressure::Warning => self.halve(),
            Pressure::Critical => self.size = MIN_CHUNK,
            _ => {}
        }
        self.pressure = level;
    }

    fn halve(&mut self) {
        self.size = (self.size / 2).max(MIN_CHUNK);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn chunks_grow_when_fast_and_stay_in_bounds() {
        assert_eq!(ChunkPlanner::new(0).size(), 1);
        assert_eq!(ChunkPlanner::new(1_000).size(), 64);

        let mut planner = ChunkPlanner::new(10);
        planner.chunk_done(10, 300.0);
        assert_eq!(planner.size(), 20);
        // A partial chunk (the end of the queue) says nothing about speed.
        planner.chunk_done(5, 100.0);
        assert_eq!(planner.size(), 20);
        // Between fast and slow: unchanged.
        planner.chunk_done(20, 5_000.0);
        assert_eq!(planner.size(), 20);
        planner.chunk_done(20, 999.0);
        assert_eq!(planner.size(), 40);
        planner.chunk_done(40, 10.0);
        assert_eq!(planner.size(), 64);
        planner.chunk_done(64, 10.0);
        assert_eq!(planner.size(), 64);

        // The user's ceiling caps growth and lowers a larger size.
        let mut planner = ChunkPlanner::new(4);
        planner.set_ceiling(Some(12));
        for _ in 0..5 {
            let size = planner.size();
            planner.chunk_done(size, 1.0);
        }
        assert_eq!(planner.size(), 12);
        planner.set_ceiling(Some(6));
        assert_eq!(planner.size(), 6);
        planner.set_ceiling(None);
        planner.chunk_done(6, 1.0);
        assert_eq!(planner.size(), 12);

        // Nonsense times change nothing.
        for time in [f64::NAN, f64::INFINITY, -5.0] {
            planner.chunk_done(64, time);
            assert_eq!(planner.size(), 12);
        }
    }

    #[test]
    fn chunks_shrink_when_slow() {
        let mut planner = ChunkPlanner::new(64);
        planner.chunk_done(64, 10_001.0);
        assert_eq!(planner.size(), 32);
        // Even a partial chunk that was slow halves it.
        planner.chunk_done(3, 20_000.0);
        assert_eq!(planner.size(), 16);
        planner.chunk_done(16, 10_000.0);
        assert_eq!(planner.size(), 16, "exactly the limit is not over it");
        for _ in 0..10 {
            planner.chunk_done(1, 60_000.0);
        }
        assert_eq!(planner.size(), 1);
    }

    #[test]
    fn pressure_halves_chunks() {
        let mut planner = ChunkPlanner::new(40);
        planner.pressure(Pressure::Warning);
        assert_eq!(planner.size(), 20);
        // Repeated warnings do not keep halving.
        planner.pressure(Pressure::Warning);
        planner.pressure(Pressure::Warning);
        assert_eq!(planner.size(), 20);
        // No growth while under pressure.
        planner.chunk_done(20, 10.0);
        assert_eq!(planner.size(), 20);

        planner.pressure(Pressure::Critical);
        assert_eq!(planner.size(), 1);
        planner.chunk_done(1, 10.0);
        assert_eq!(planner.size(), 1);

        // Back to normal: growth resumes from where it is.
        planner.pressure(Pressure::Normal);
        assert_eq!(planner.size(), 1);
        planner.chunk_done(1, 10.0);
        assert_eq!(planner.size(), 2);

        // A new entry into warning halves again.
        let mut planner = ChunkPlanner::new(32);
        planner.pressure(Pressure::Warning);
        planner.pressure(Pressure::Normal);
        planner.pressure(Pressure::Warning);
        assert_eq!(planner.size(), 8);
    }

    fn event() -> impl Strategy<Value = (u8, usize, f64)> {
        (0u8..4, 0usize..200, -100.0f64..30_000.0)
    }

    proptest! {
        #[test]
        fn chunk_size_always_within_1_and_64(
            initial in 0usize..1_000,
            ceiling in prop::option::of(0usize..200),
            events in prop::collection::vec(event(), 0..100),
        ) {
            let mut planner = ChunkPlanner::new(initial);
            planner.set_ceiling(ceiling);
            for (kind, items, elapsed) in events {
                match kind {
                    0 => planner.pressure(Pressure::Normal),
                    1 => planner.pressure(Pressure::Warning),
                    2 => planner.pressure(Pressure::Critical),
                    _ => planner.chunk_done(items, elapsed),
                }
                let size = planner.size();
                prop_assert!((MIN_CHUNK..=MAX_CHUNK).contains(&size));
                if let Some(ceiling) = ceiling {
                    prop_assert!(size <= ceiling.max(MIN_CHUNK));
                }
            }
        }
    }
}
