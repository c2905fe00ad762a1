//! Request counters for tests: how many requests came, how many are being
//! answered right now (and the most at once), overall and for image files,
//! and how often each image was asked for; image requests in flight also by
//! the address they came to (`127.0.0.k:PORT`, for `--hosts`). An [`InFlight`] guard counts one
//! request in flight until it is dropped; image answers keep their guard in
//! the response body, so an aborted download stops counting as soon as the
//! connection is gone.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

/// A snapshot of the counters, in the shape `/stats` answers.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Snapshot {
    pub requests: u64,
    pub image_requests: u64,
    pub in_flight: u64,
    pub max_in_flight: u64,
    pub image_in_flight: u64,
    pub max_image_in_flight: u64,
    /// Image requests in flight now, by the address they came to
    /// (`127.0.0.k:PORT`); a host seen since the last reset stays listed at 0.
    pub image_in_flight_by_host: BTreeMap<String, u64>,
    /// The most image requests in flight at once to each address since the
    /// last reset.
    pub max_image_in_flight_by_host: BTreeMap<String, u64>,
    /// Requests per image id (ids as strings in JSON).
    pub by_image: BTreeMap<u32, u64>,
    /// The search queries received (local search, MediaWiki, Openverse), as
    /// decoded from the request, oldest first; the last 20 are kept.
    pub queries: Vec<String>,
}

/// The live counters of one server.
#[derive(Default)]
pub struct Stats {
    counters: Mutex<Snapshot>,
}

impl Stats {
    fn lock(&self) -> MutexGuard<'_, Snapshot> {
        // A panic while holding this lock cannot leave the counters in a
        // state worse than slightly off, so keep going after poisoning.
        self.counters.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current counters.
    pub fn snapshot(&self) -> Snapshot {
        self.lock().clone()
    }

    /// Zeroes every counter. Requests still in flight stay counted in
    /// `in_flight` (they have not ended), and the maxima restart from them.
    pub fn reset(&self) -> Snapshot {
        let mut c = self.lock();
        let by_host: BTreeMap<String, u64> = std::mem::take(&mut c.image_in_flight_by_host)
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect();
        *c = Snapshot {
            in_flight: c.in_flight,
            max_in_flight: c.in_flight,
            image_in_flight: c.image_in_flight,
            max_image_in_flight: c.image_in_flight,
            max_image_in_flight_by_host: by_host.clone(),
            image_in_flight_by_host: by_host,
            ..Snapshot::default()
        };
        c.clone()
    }

    /// Counts a new request and returns the guard that keeps it in flight.
    /// `image` is the address an image request came to (`127.0.0.k:PORT`),
    /// `None` for any other request.
    pub fn begin(self: &Arc<Self>, image: Option<String>) -> InFlight {
        let mut c = self.lock();
        c.requests += 1;
        c.in_flight += 1;
        c.max_in_flight = c.max_in_flight.max(c.in_flight);
        if let Some(host) = &image {
            c.image_requests += 1;
            c.image_in_flight += 1;
            c.max_image_in_flight = c.max_image_in_flight.max(c.image_in_flight);
            let now = {
                let n = c.image_in_flight_by_host.entry(host.clone()).or_insert(0);
                *n += 1;
                *n
            };
            let max = c
                .max_image_in_flight_by_host
                .entry(host.clone())
                .or_insert(0);
            *max = (*max).max(now);
        }
        InFlight {
            stats: Arc::clone(self),
            image,
        }
    }

    /// Counts one request for an image and returns how many there have been
    /// for it since the start (or the last reset), this one included.
    pub fn count_image(&self, id: u32) -> u64 {
        let mut c = self.lock();
        let n = c.by_image.entry(id).or_insert(0);
        *n += 1;
        *n
    }
}

impl Stats {
    /// Notes a search query as the server received it.
    pub fn saw_query(&self, query: &str) {
        let mut c = self.lock();
        if c.queries.len() == 20 {
            c.queries.remove(0);
        }
        c.queries.push(query.to_string());
    }
}

/// One request in flight; dropping it ends the request.
pub struct InFlight {
    stats: Arc<Stats>,
    /// The address an image request came to; `None` for other requests.
    image: Option<String>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut c = self.stats.lock();
        c.in_flight = c.in_flight.saturating_sub(1);
        if let Some(host) = &self.image {
            c.image_in_flight = c.image_in_flight.saturating_sub(1);
            if let Some(n) = c.image_in_flight_by_host.get_mut(host) {
                *n = n.saturating_sub(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "127.0.0.1:9";
    const B: &str = "127.0.0.2:9";

    fn image(host: &str) -> Option<String> {
        Some(host.to_string())
    }

    #[test]
    fn guards_count_in_flight_and_maxima() {
        let s = Arc::new(Stats::default());
        let a = s.begin(image(A));
        let b = s.begin(None);
        let snap = s.snapshot();
        assert_eq!((snap.requests, snap.image_requests), (2, 1));
        assert_eq!((snap.in_flight, snap.image_in_flight), (2, 1));
        drop(a);
        drop(b);
        let snap = s.snapshot();
        assert_eq!((snap.in_flight, snap.image_in_flight), (0, 0));
        assert_eq!((snap.max_in_flight, snap.max_image_in_flight), (2, 1));
    }

    #[test]
    fn image_requests_in_flight_are_counted_by_host() {
        let s = Arc::new(Stats::default());
        let a1 = s.begin(image(A));
        let a2 = s.begin(image(A));
        let b1 = s.begin(image(B));
        let other = s.begin(None);
        let snap = s.snapshot();
        assert_eq!(snap.image_in_flight_by_host[A], 2);
        assert_eq!(snap.image_in_flight_by_host[B], 1);
        assert_eq!(snap.image_in_flight_by_host.len(), 2);
        drop((a1, a2, other));
        let a3 = s.begin(image(A));
        let snap = s.snapshot();
        assert_eq!(snap.image_in_flight_by_host[A], 1);
        assert_eq!(snap.max_image_in_flight_by_host[A], 2);
        assert_eq!(snap.max_image_in_flight_by_host[B], 1);
        assert_eq!(snap.max_image_in_flight, 3);
        // A reset keeps what is still in flight, and the maxima restart from it.
        drop(a3);
        let snap = s.reset();
        assert_eq!(snap.image_in_flight_by_host.len(), 1);
        assert_eq!(snap.image_in_flight_by_host[B], 1);
        assert_eq!(snap.max_image_in_flight_by_host.len(), 1);
        assert_eq!(snap.max_image_in_flight_by_host[B], 1);
        drop(b1);
        let snap = s.snapshot();
        assert_eq!(snap.image_in_flight_by_host[B], 0);
        assert_eq!(snap.max_image_in_flight_by_host[B], 1);
        assert!(s.reset().max_image_in_flight_by_host.is_empty());
    }

    #[test]
    fn reset_keeps_requests_still_in_flight() {
        let s = Arc::new(Stats::default());
        let a = s.begin(image(A));
        assert_eq!(s.count_image(3), 1);
        assert_eq!(s.count_image(3), 2);
        let snap = s.reset();
        assert_eq!(snap.requests, 0);
        assert!(snap.by_image.is_empty());
        assert_eq!(snap.in_flight, 1);
        drop(a);
        assert_eq!(s.snapshot().in_flight, 0);
        assert_eq!(s.count_image(3), 1);
    }

    #[test]
    fn queries_are_kept_whole_and_only_the_last_twenty() {
        let s = Arc::new(Stats::default());
        s.saw_query("🌊 אגם");
        assert_eq!(s.snapshot().queries, vec!["🌊 אגם".to_string()]);
        for i in 0..25 {
            s.saw_query(&i.to_string());
        }
        let q = s.snapshot().queries;
        assert_eq!((q.len(), q[0].as_str(), q[19].as_str()), (20, "5", "24"));
        assert!(s.reset().queries.is_empty());
    }

    #[test]
    fn by_image_serialises_with_string_keys() {
        let s = Arc::new(Stats::default());
        s.count_image(12);
        let json = serde_json::to_value(s.snapshot()).unwrap();
        assert_eq!(json["by_image"]["12"], 1);
    }
}
