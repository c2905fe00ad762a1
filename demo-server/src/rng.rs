//! A tiny deterministic random number generator (SplitMix64) and a hash of
//! several numbers into one, so that every property of the library follows
//! from `(seed, id)` alone and is the same on every machine and every run.

/// SplitMix64: fast, good enough for pictures and catalogues, fully portable.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator whose stream is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// A generator for one purpose (`salt`) of one image of one library.
    pub fn for_parts(parts: &[u64]) -> Self {
        Rng(mix(parts))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A number in `[lo, hi)`.
    pub fn range_f(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// A whole number in `[lo, hi]` (both ends included).
    pub fn range_u(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
}

/// Hashes several numbers into one well-mixed number.
pub fn mix(parts: &[u64]) -> u64 {
    let mut h = 0x243F_6A88_85A3_08D3u64;
    for &p in parts {
        let mut r = Rng(h ^ p.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        h = r.next_u64();
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_the_same_stream() {
        let a: Vec<u64> = (0..5).map(|_| Rng::new(7).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut r = Rng::new(7);
        let first = r.next_u64();
        assert_ne!(first, r.next_u64());
    }

    #[test]
    fn mix_depends_on_every_part_and_order() {
        assert_ne!(mix(&[1, 2]), mix(&[2, 1]));
        assert_ne!(mix(&[1, 2]), mix(&[1, 3]));
        assert_eq!(mix(&[1, 2]), mix(&[1, 2]));
    }

    #[test]
    fn ranges_stay_inside_their_bounds() {
        let mut r = Rng::new(3);
        for _ in 0..1000 {
            let u = r.range_u(5, 9);
            assert!((5..=9).contains(&u));
            let f = r.range_f(-1.0, 1.0);
            assert!((-1.0..1.0).contains(&f));
        }
    }
}
