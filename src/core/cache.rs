//! The page's cache of decoded thumbnails, bounded by bytes and by count.
//!
//! Decoded thumbnails (ImageBitmaps, object URLs) hold memory outside the wasm
//! heap that the browser only frees when the page releases them, so the cache
//! must both stay within a byte budget and hand back every value it lets go.
//! [`ByteLru`] sits on `lru::LruCache` (unbounded) and does its own byte
//! accounting: each entry carries the weight the caller gives it, the least
//! recently used entries go first, and every call that drops values returns
//! them as `(key, value)` pairs so the caller can release them all at once.
//! Hits and misses are counted for the memory panel.

use std::borrow::Borrow;
use std::hash::Hash;

use lru::LruCache;

/// The default byte budget: 128 MiB.
pub const DEFAULT_BUDGET_BYTES: u64 = 128 * 1024 * 1024;
/// The default largest number of entries.
pub const DEFAULT_MAX_ENTRIES: usize = 2_000;

/// A snapshot of the cache's counters and size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups with [`ByteLru::get`] that found their key.
    pub hits: u64,
    /// Lookups with [`ByteLru::get`] that did not.
    pub misses: u64,
    /// Entries held now.
    pub entries: usize,
    /// Sum of the weights of the entries held now.
    pub bytes: u64,
    /// The byte budget.
    pub budget: u64,
}

impl CacheStats {
    /// Share of lookups that were hits, from 0 to 1; 0 when nothing was looked up.
    pub fn hit_ratio(&self) -> f64 {
        let lookups = self.hits.saturating_add(self.misses);
        if lookups == 0 {
            0.0
        } else {
            self.hits as f64 / lookups as f64
        }
    }
}

/// A least-recently-used cache bounded by a byte budget and an entry count.
///
/// Invariant after every call: `total_bytes() <= budget()` and
/// `len() <= max_entries()`.
pub struct ByteLru<K: Hash + Eq, V> {
    entries: LruCache<K, (V, u64)>,
    total: u64,
    budget: u64,
    max_entries: usize,
    hits: u64,
    misses: u64,
}

impl<K: Hash + Eq, V> Default for ByteLru<K, V> {
    fn default() -> Self {
        ByteLru::new(DEFAULT_BUDGET_BYTES, DEFAULT_MAX_ENTRIES)
    }
}

impl<K: Hash + Eq, V> ByteLru<K, V> {
    /// An empty cache holding at most `budget_bytes` of weight and
    /// `max_entries` entries.
    pub fn new(budget_bytes: u64, max_entries: usize) -> Self {
        ByteLru {
            entries: LruCache::unbounded(),
            total: 0,
            budget: budget_bytes,
            max_entries,
            hits: 0,
            misses: 0,
        }
    }

    /// Inserts `value` under `key` with the given weight in bytes.
    ///
    /// Returns every pair the cache let go: the old value under `key` if there
    /// was one, then the least recently used entries evicted to make room. An
    /// entry that cannot fit at all (heavier than the budget, or a cache with
    /// room for no entries) is not cached and comes straight back.
    pub fn insert(&mut self, key: K, value: V, weight: u64) -> Vec<(K, V)> {
        let mut released = Vec::new();
        if let Some((old_key, (old_value, old_weight))) = self.entries.pop_entry(&key) {
            self.total = self.total.saturating_sub(old_weight);
            released.push((old_key, old_value));
        }
        if weight > self.budget || self.max_entries == 0 {
            released.push((key, value));
            return released;
        }
        // Make room first, so the total never passes the budget (nor overflows).
        let room_left = self.budget - weight;
        while self.total > room_left || self.entries.len() >= self.max_entries {
            match self.pop_lru() {
                Some(pair) => released.push(pair),
                None => break,
            }
        }
        self.total += weight;
        self.entries.put(key, (value, weight));
        released
    }

    /// The value under `key`, marking it as recently used; counts a hit or a miss.
    pub fn get<Q>(&mut self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        match self.entries.get(key) {
            Some((value, _)) => {
                self.hits += 1;
                Some(value)
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// The value under `key`, without marking it as used or counting a lookup.
    pub fn peek<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.peek(key).map(|(value, _)| value)
    }

    /// Whether `key` is cached (does not mark it as used).
    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.contains(key)
    }

    /// Takes the value under `key` out of the cache.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let (value, weight) = self.entries.pop(key)?;
        self.total = self.total.saturating_sub(weight);
        Some(value)
    }

    /// Number of entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sum of the weights of the entries held.
    pub fn total_bytes(&self) -> u64 {
        self.total
    }

    /// The byte budget.
    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// The largest number of entries.
    pub fn max_entries(&self) -> usize {
        self.max_entries
    }

    /// Changes the byte budget; a cut evicts at once and returns what it evicted.
    pub fn set_budget(&mut self, bytes: u64) -> Vec<(K, V)> {
        self.budget = bytes;
        let mut released = Vec::new();
        while self.total > self.budget {
            match self.pop_lru() {
                Some(pair) => released.push(pair),
                None => break,
            }
        }
        released
    }

    /// Empties the cache and returns everything it held, oldest first.
    /// The hit and miss counters are kept.
    pub fn clear(&mut self) -> Vec<(K, V)> {
        let mut released = Vec::with_capacity(self.entries.len());
        while let Some(pair) = self.pop_lru() {
            released.push(pair);
        }
        self.total = 0;
        released
    }

    /// The counters and size now.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits,
            misses: self.misses,
            entries: self.entries.len(),
            bytes: self.total,
            budget: self.budget,
        }
    }

    fn pop_lru(&mut self) -> Option<(K, V)> {
        let (key, (value, weight)) = self.entries.pop_lru()?;
        self.total = self.total.saturating_sub(weight);
        Some((key, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn keys<V>(pairs: &[(u32, V)]) -> Vec<u32> {
        pairs.iter().map(|(k, _)| *k).collect()
    }

    #[test]
    fn byte_lru_weighs_entries() {
        let mut cache = ByteLru::new(1_000, 10);
        assert!(cache.insert(1, "a", 100).is_empty());
        assert!(cache.insert(2, "b", 250).is_empty());
        assert_eq!(cache.total_bytes(), 350);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.remove(&1), Some("a"));
        assert_eq!(cache.total_bytes(), 250);
        assert_eq!(cache.remove(&1), None);
        assert_eq!(cache.clear(), vec![(2, "b")]);
        assert_eq!(cache.total_bytes(), 0);
        assert!(cache.is_empty());
    }

    #[test]
    fn byte_lru_evicts_least_recently_used_first() {
        let mut cache = ByteLru::new(300, 10);
        cache.insert(1, 'a', 100);
        cache.insert(2, 'b', 100);
        cache.insert(3, 'c', 100);
        // Using 1 makes 2 the least recently used.
        assert_eq!(cache.get(&1), Some(&'a'));
        let evicted = cache.insert(4, 'd', 150);
        assert_eq!(evicted, vec![(2, 'b'), (3, 'c')]);
        assert!(cache.contains(&1) && cache.contains(&4));
        assert_eq!(cache.total_bytes(), 250);
        // peek does not refresh: 1 is now the oldest.
        assert_eq!(cache.peek(&1), Some(&'a'));
        assert_eq!(keys(&cache.insert(5, 'e', 100)), vec![1]);
    }

    #[test]
    fn byte_lru_never_caches_an_oversized_entry() {
        let mut cache = ByteLru::new(100, 10);
        cache.insert(1, "small", 40);
        cache.insert(2, "kept", 40);
        assert_eq!(cache.insert(3, "huge", 101), vec![(3, "huge")]);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.total_bytes(), 80);
        // An oversized replacement takes the old value out too.
        assert_eq!(
            cache.insert(1, "huge again", 500),
            vec![(1, "small"), (1, "huge again")]
        );
        assert!(!cache.contains(&1));
        assert_eq!(cache.total_bytes(), 40);
        // Exactly the budget fits.
        assert_eq!(cache.insert(4, "full", 100), vec![(2, "kept")]);
        assert_eq!(cache.total_bytes(), 100);
    }

    #[test]
    fn byte_lru_count_limit_holds() {
        let mut cache = ByteLru::new(u64::MAX, 3);
        for i in 0..3 {
            assert!(cache.insert(i, i, 1).is_empty());
        }
        assert_eq!(cache.insert(3, 3, 1), vec![(0, 0)]);
        assert_eq!(cache.len(), 3);
        let mut none = ByteLru::new(100, 0);
        assert_eq!(none.insert(1, 1, 1), vec![(1, 1)]);
        assert!(none.is_empty());
    }

    #[test]
    fn byte_lru_budget_cut_at_run_time_evicts_at_once() {
        let mut cache = ByteLru::new(1_000, 10);
        for i in 0..5 {
            cache.insert(i, i * 10, 200);
        }
        assert_eq!(cache.total_bytes(), 1_000);
        let evicted = cache.set_budget(450);
        assert_eq!(evicted, vec![(0, 0), (1, 10), (2, 20)]);
        assert_eq!(cache.total_bytes(), 400);
        assert_eq!(cache.budget(), 450);
        assert!(cache.set_budget(5_000).is_empty());
        assert_eq!(cache.set_budget(0).len(), 2);
        assert!(cache.is_empty());
    }

    #[test]
    fn byte_lru_replacing_a_key_returns_the_old_value() {
        let mut cache = ByteLru::new(1_000, 10);
        cache.insert("k", 1, 300);
        assert_eq!(cache.insert("k", 2, 500), vec![("k", 1)]);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.total_bytes(), 500);
        assert_eq!(cache.peek("k"), Some(&2));
    }

    #[test]
    fn byte_lru_counts_hits_and_misses() {
        let mut cache = ByteLru::new(1_000, 10);
        assert_eq!(cache.stats().hit_ratio(), 0.0);
        cache.insert(1, (), 10);
        assert!(cache.get(&1).is_some());
        assert!(cache.get(&1).is_some());
        assert!(cache.get(&1).is_some());
        assert!(cache.get(&2).is_none());
        // peek and contains are not lookups.
        cache.peek(&2);
        cache.contains(&2);
        let stats = cache.stats();
        assert_eq!(
            stats,
            CacheStats {
                hits: 3,
                misses: 1,
                entries: 1,
                bytes: 10,
                budget: 1_000
            }
        );
        assert_eq!(stats.hit_ratio(), 0.75);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u8, u64),
        Get(u8),
        Remove(u8),
        SetBudget(u64),
        Clear,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0u8..16, 0u64..400).prop_map(|(k, w)| Op::Insert(k, w)),
            2 => (0u8..16).prop_map(Op::Get),
            2 => (0u8..16).prop_map(Op::Remove),
            1 => (0u64..1_200).prop_map(Op::SetBudget),
            1 => Just(Op::Clear),
        ]
    }

    /// Checks off values the cache handed back; each must come back once.
    fn give_back(
        pairs: Vec<(u8, u64)>,
        outstanding: &mut HashMap<u64, u8>,
    ) -> Result<(), TestCaseError> {
        for (k, v) in pairs {
            prop_assert_eq!(
                outstanding.remove(&v),
                Some(k),
                "value {} came back twice or under the wrong key",
                v
            );
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn byte_lru_total_never_exceeds_budget_and_every_value_comes_back_once(
            budget in 0u64..1_200,
            max_entries in 0usize..8,
            ops in proptest::collection::vec(op(), 0..200),
        ) {
            let mut cache: ByteLru<u8, u64> = ByteLru::new(budget, max_entries);
            // value -> key it was inserted under; each value is unique.
            let mut outstanding: HashMap<u64, u8> = HashMap::new();
            let mut next_value = 0u64;
            for op in ops {
                match op {
                    Op::Insert(k, w) => {
                        next_value += 1;
                        outstanding.insert(next_value, k);
                        let back = cache.insert(k, next_value, w);
                        give_back(back, &mut outstanding)?;
                    }
                    Op::Get(k) => {
                        let _ = cache.get(&k);
                    }
                    Op::Remove(k) => {
                        let back = cache.remove(&k).map(|v| (k, v)).into_iter().collect();
                        give_back(back, &mut outstanding)?;
                    }
                    Op::SetBudget(b) => {
                        let back = cache.set_budget(b);
                        give_back(back, &mut outstanding)?;
                    }
                    Op::Clear => {
                        let back = cache.clear();
                        give_back(back, &mut outstanding)?;
                    }
                }
                prop_assert!(cache.total_bytes() <= cache.budget());
                prop_assert!(cache.len() <= cache.max_entries());
                // Whatever has not come back is still in the cache.
                prop_assert_eq!(outstanding.len(), cache.len());
                for (v, k) in &outstanding {
                    prop_assert_eq!(cache.peek(k), Some(v));
                }
            }
            let back = cache.clear();
            give_back(back, &mut outstanding)?;
            prop_assert!(outstanding.is_empty());
        }
    }
}
