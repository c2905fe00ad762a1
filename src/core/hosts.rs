//! Per-host politeness: how many downloads may run at once against one server,
//! and when a server asked us to wait.
//!
//! A collection often takes many images from the same few hosts. Opening
//! dozens of connections to one of them is rude and gets clients rate-limited,
//! so each worker keeps a [`HostGate`]: at most `cap` downloads in flight per
//! host, and none at all while the host is paused (after a 429 or 503 with
//! `Retry-After`). When several workers share a host cap, [`share`] splits it
//! so that the workers together never exceed it. Time is passed in as numbers.

use std::collections::HashMap;

/// How many workers the pool starts when the user leaves it automatic.
pub const DEFAULT_MAX_WORKERS: usize = 4;

/// The host of a URL as used for politeness: lowercased `host[:port]`, with
/// default ports left out. `None` when the text is not a URL with a host.
pub fn host_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url.trim()).ok()?;
    let host = parsed.host_str()?.to_ascii_lowercase();
    if host.is_empty() {
        return None;
    }
    match parsed.port() {
        Some(port) => Some(format!("{host}:{port}")),
        None => Some(host),
    }
}

/// The answer of [`HostGate::try_acquire`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Admit {
    /// Start the download now; call [`HostGate::release`] when it ends.
    Go,
    /// The host already has `cap` downloads in flight; try again after one ends.
    Full,
    /// The host asked us to wait until this time (ms, same clock as `now_ms`).
    PausedUntil(f64),
}

#[derive(Clone, Copy, Debug)]
struct HostState {
    in_flight: usize,
    /// No download starts before this time; `NEG_INFINITY` = not paused.
    paused_until: f64,
}

/// Counts downloads in flight per host and holds per-host pauses.
#[derive(Clone, Debug)]
pub struct HostGate {
    cap: usize,
    hosts: HashMap<String, HostState>,
}

impl Default for HostGate {
    /// A gate that admits nothing until its cap is set.
    fn default() -> Self {
        HostGate::new(0)
    }
}

impl HostGate {
    /// A gate allowing `cap` downloads in flight per host. A cap of 0 admits
    /// nothing (a worker whose [`share`] of a host is 0 must not fetch from it).
    pub fn new(cap: usize) -> Self {
        HostGate {
            cap,
            hosts: HashMap::new(),
        }
    }

    /// The current per-host cap.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Change the per-host cap. Downloads already in flight are not stopped;
    /// after lowering it, hosts above the new cap answer `Full` until enough
    /// of their downloads end.
    pub fn set_cap(&mut self, cap: usize) {
        self.cap = cap;
    }

    /// Ask to start one download from `host` at time `now_ms`. On `Go` the
    /// download counts as in flight until [`release`](Self::release).
    pub fn try_acquire(&mut self, host: &str, now_ms: f64) -> Admit {
        let key = host.to_ascii_lowercase();
        let state = self.hosts.entry(key).or_insert(HostState {
            in_flight: 0,
            paused_until: f64::NEG_INFINITY,
        });
        // A NaN `now` says nothing about the time; treat it as "still paused".
        let paused = now_ms.is_nan() || now_ms < state.paused_until;
        if state.paused_until > f64::NEG_INFINITY && paused {
            return Admit::PausedUntil(state.paused_until);
        }
        state.paused_until = f64::NEG_INFINITY;
        if state.in_flight >= self.cap {
            return Admit::Full;
        }
        state.in_flight += 1;
        Admit::Go
    }

    /// One download from `host` ended (in any way). Releasing a host with
    /// nothing in flight does nothing.
    pub fn release(&mut self, host: &str) {
        let key = host.to_ascii_lowercase();
        let Some(state) = self.hosts.get_mut(&key) else {
            return;
        };
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 && state.paused_until == f64::NEG_INFINITY {
            self.hosts.remove(&key);
        }
    }

    /// Start no download from `host` before `until_ms`. A later time extends
    /// an existing pause; an earlier one does not shorten it. NaN is ignored.
    pub fn pause(&mut self, host: &str, until_ms: f64) {
        if until_ms.is_nan() {
            return;
        }
        let state = self
            .hosts
            .entry(host.to_ascii_lowercase())
            .or_insert(HostState {
                in_flight: 0,
                paused_until: f64::NEG_INFINITY,
            });
        if until_ms > state.paused_until {
            state.paused_until = until_ms;
        }
    }

    /// How many downloads from `host` are in flight.
    pub fn in_flight(&self, host: &str) -> usize {
        self.hosts
            .get(&host.to_ascii_lowercase())
            .map_or(0, |state| state.in_flight)
    }
}

/// The part of a per-host `cap` given to worker `index` of `workers` when the
/// pool splits it: `cap / workers`, and one more for the first
/// `cap % workers` workers. Over all indexes the shares add up to exactly
/// `cap`. An index outside the pool gets 0; `workers == 0` counts as 1.
pub fn share(cap: usize, workers: usize, index: usize) -> usize {
    let workers = workers.max(1);
    if index >= workers {
        return 0;
    }
    let extra = usize::from(index < cap % workers);
    cap / workers + extra
}

/// How many workers to start: the smallest of the hardware's concurrency,
/// `max_workers` (0 means [`DEFAULT_MAX_WORKERS`]) and the per-host cap (so
/// every worker's [`share`] of a host is at least 1), and at least 1.
pub fn pool_size(hardware_concurrency: usize, max_workers: usize, host_cap: usize) -> usize {
    let max_workers = if max_workers == 0 {
        DEFAULT_MAX_WORKERS
    } else {
        max_workers
    };
    hardware_concurrency.min(max_workers).min(host_cap).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn host_of_lowercases_and_keeps_non_default_ports() {
        assert_eq!(
            host_of("https://Upload.Wikimedia.org/a.jpg").as_deref(),
            Some("upload.wikimedia.org")
        );
        assert_eq!(
            host_of("http://example.com:80/x").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            host_of("http://example.com:8080/x").as_deref(),
            Some("example.com:8080")
        );
        assert_eq!(host_of("http://[::1]:3000/").as_deref(), Some("[::1]:3000"));
        assert_eq!(
            host_of("https://bücher.example/").as_deref(),
            Some("xn--bcher-kva.example")
        );
        assert_eq!(host_of("not a url"), None);
        assert_eq!(host_of("data:image/png;base64,AAAA"), None);
        assert_eq!(host_of(""), None);
    }

    #[test]
    fn per_host_cap_holds_and_frees() {
        let mut gate = HostGate::new(2);
        assert_eq!(gate.try_acquire("a.example", 0.0), Admit::Go);
        assert_eq!(gate.try_acquire("A.Example", 0.0), Admit::Go);
        assert_eq!(gate.try_acquire("a.example", 0.0), Admit::Full);
        assert_eq!(gate.in_flight("a.example"), 2);
        // Other hosts are counted apart.
        assert_eq!(gate.try_acquire("b.example", 0.0), Admit::Go);
        assert_eq!(gate.in_flight("b.example"), 1);

        gate.release("a.example");
        assert_eq!(gate.in_flight("a.example"), 1);
        assert_eq!(gate.try_acquire("a.example", 0.0), Admit::Go);
        assert_eq!(gate.try_acquire("a.example", 0.0), Admit::Full);

        // Releasing more than was acquired, or an unknown host, never underflows.
        for _ in 0..5 {
            gate.release("a.example");
            gate.release("never.example");
        }
        assert_eq!(gate.in_flight("a.example"), 0);
        assert_eq!(gate.in_flight("never.example"), 0);
        assert_eq!(gate.try_acquire("a.example", 0.0), Admit::Go);

        // Lowering the cap stops new downloads until enough have ended.
        let mut gate = HostGate::new(3);
        for _ in 0..3 {
            assert_eq!(gate.try_acquire("a.example", 0.0), Admit::Go);
        }
        gate.set_cap(1);
        assert_eq!(gate.try_acquire("a.example", 0.0), Admit::Full);
        gate.release("a.example");
        assert_eq!(gate.try_acquire("a.example", 0.0), Admit::Full);
        gate.release("a.example");
        gate.release("a.example");
        assert_eq!(gate.try_acquire("a.example", 0.0), Admit::Go);

        let mut closed = HostGate::new(0);
        assert_eq!(closed.try_acquire("a.example", 0.0), Admit::Full);
    }

    #[test]
    fn per_host_pause_until_the_time_given() {
        let mut gate = HostGate::new(4);
        gate.pause("a.example", 1_000.0);
        assert_eq!(
            gate.try_acquire("a.example", 0.0),
            Admit::PausedUntil(1_000.0)
        );
        assert_eq!(
            gate.try_acquire("a.example", 999.0),
            Admit::PausedUntil(1_000.0)
        );
        // Other hosts are not paused.
        assert_eq!(gate.try_acquire("b.example", 0.0), Admit::Go);

        // An earlier pause does not shorten it; a later one extends it.
        gate.pause("a.example", 500.0);
        assert_eq!(
            gate.try_acquire("a.example", 600.0),
            Admit::PausedUntil(1_000.0)
        );
        gate.pause("a.example", 2_000.0);
        assert_eq!(
            gate.try_acquire("a.example", 1_500.0),
            Admit::PausedUntil(2_000.0)
        );
        gate.pause("a.example", f64::NAN);
        assert_eq!(
            gate.try_acquire("a.example", f64::NAN),
            Admit::PausedUntil(2_000.0)
        );

        assert_eq!(gate.try_acquire("a.example", 2_000.0), Admit::Go);
        assert_eq!(gate.in_flight("a.example"), 1);
        // Once over, an old pause time no longer matters.
        gate.pause("a.example", 1_000.0);
        assert_eq!(gate.try_acquire("a.example", 2_100.0), Admit::Go);

        // A pause while downloads are in flight keeps their count.
        gate.pause("a.example", 3_000.0);
        assert_eq!(gate.in_flight("a.example"), 2);
        gate.release("a.example");
        gate.release("a.example");
        assert_eq!(
            gate.try_acquire("a.example", 2_500.0),
            Admit::PausedUntil(3_000.0)
        );
    }

    #[test]
    fn shares_split_a_cap() {
        let shares: Vec<usize> = (0..4).map(|i| share(6, 4, i)).collect();
        assert_eq!(shares, vec![2, 2, 1, 1]);
        assert_eq!(share(6, 4, 4), 0);
        assert_eq!(share(6, 0, 0), 6);
        assert_eq!(share(2, 3, 2), 0);
    }

    proptest! {
        #[test]
        fn per_host_cap_shares_never_add_up_past_the_cap(cap in 1usize..64, workers in 1usize..16) {
            let shares: Vec<usize> = (0..workers).map(|i| share(cap, workers, i)).collect();
            prop_assert_eq!(shares.iter().sum::<usize>(), cap);
            let most = shares.iter().copied().max().unwrap_or(0);
            let least = shares.iter().copied().min().unwrap_or(0);
            prop_assert!(most - least <= 1);
            prop_assert!(most <= cap);
            if workers <= cap {
                prop_assert!(least >= 1);
            }
            // Gates built from the shares admit at most `cap` in total.
            let mut gates: Vec<HostGate> = shares.iter().map(|&s| HostGate::new(s)).collect();
            let admitted = gates
                .iter_mut()
                .flat_map(|gate| (0..cap + 2).map(move |_| gate.try_acquire("h", 0.0)).collect::<Vec<_>>())
                .filter(|admit| *admit == Admit::Go)
                .count();
            prop_assert_eq!(admitted, cap);
        }
    }

    #[test]
    fn pool_size_is_bounded() {
        assert_eq!(pool_size(8, 0, 6), 4);
        assert_eq!(pool_size(2, 0, 6), 2);
        assert_eq!(pool_size(16, 8, 6), 6);
        assert_eq!(pool_size(16, 8, 32), 8);
        assert_eq!(pool_size(0, 0, 0), 1);
        assert_eq!(pool_size(1, 16, 32), 1);
        for hardware in 0..20 {
            for max in 0..20 {
                for cap in 0..40 {
                    let size = pool_size(hardware, max, cap);
                    assert!(size >= 1);
                    assert!(size <= hardware.max(1));
                    assert!(size <= cap.max(1));
                    assert!(size <= if max == 0 { DEFAULT_MAX_WORKERS } else { max });
                    if cap >= 1 {
                        assert!(share(cap, size, size - 1) >= 1);
                    }
                }
            }
        }
    }
}
