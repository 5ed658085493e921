//! Small deterministic RNG for reset draws: xoshiro256++ seeded through
//! SplitMix64. The stream of environment `i` in a vector env depends only on
//! `(seed, i)`, never on the number of threads.

#[inline]
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// Generator for stream `stream` of `seed`.
    pub fn new(seed: u64, stream: u64) -> Self {
        // Mix seed and stream into one SplitMix64 state, then expand.
        let mut a = seed;
        let k1 = splitmix64(&mut a);
        let mut b = stream ^ 0xD6E8_FEB8_6659_FD93;
        let k2 = splitmix64(&mut b);
        let mut sm = k1 ^ k2.rotate_left(17);
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        // all-zero state is the one invalid state of xoshiro
        let s = if s == [0; 4] { [1, 2, 3, 4] } else { s };
        Rng { s }
    }

    /// A generator seeded from OS-provided randomness (std's hasher keys).
    pub fn from_entropy() -> Self {
        use std::collections::hash_map::RandomState;
        use std::hash::{BuildHasher, Hasher};
        let mut h = RandomState::new().build_hasher();
        h.write_u64(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0),
        );
        Rng::new(h.finish(), 0)
    }

    /// A fresh seed drawn from OS-provided randomness.
    pub fn entropy_seed() -> u64 {
        Rng::from_entropy().next_u64()
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in `[low, high)` (Lemire's multiply-shift with rejection,
    /// so without modulo bias). Panics when `high <= low`.
    #[inline]
    pub fn integer(&mut self, low: i64, high: i64) -> i64 {
        assert!(high > low, "empty integer range [{low}, {high})");
        let span = (high - low) as u64;
        let threshold = span.wrapping_neg() % span;
        loop {
            let m = (self.next_u64() as u128) * (span as u128);
            if (m as u64) >= threshold {
                return low + (m >> 64) as i64;
            }
        }
    }

    /// Fill `out` with uniforms in `[0, 1)`.
    #[inline]
    pub fn fill_f64(&mut self, out: &mut [f64]) {
        for d in out {
            *d = self.next_f64();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_distinct_streams() {
        let mut a = Rng::new(42, 0);
        let mut b = Rng::new(42, 0);
        let mut c = Rng::new(42, 1);
        let mut d = Rng::new(43, 0);
        let va: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let vb: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let vc: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        let vd: Vec<u64> = (0..8).map(|_| d.next_u64()).collect();
        assert_eq!(va, vb);
        assert_ne!(va, vc);
        assert_ne!(va, vd);
    }

    #[test]
    fn uniform_range_and_mean() {
        let mut r = Rng::new(7, 3);
        let n = 200_000;
        let mut sum = 0.0;
        for _ in 0..n {
            let u = r.next_f64();
            assert!((0.0..1.0).contains(&u));
            sum += u;
        }
        let mean = sum / n as f64;
        assert!((mean - 0.5).abs() < 0.005, "mean {mean}");
    }

    #[test]
    fn integers_cover_the_range_evenly() {
        let mut r = Rng::new(7, 4);
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            let v = r.integer(-2, 4);
            assert!((-2..4).contains(&v));
            counts[(v + 2) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (9_400..10_600).contains(&c)), "{counts:?}");
        assert_eq!(r.integer(5, 6), 5);
    }

    #[test]
    fn xoshiro_reference_vector() {
        // xoshiro256++ from state [1, 2, 3, 4]: first outputs of the published algorithm
        let mut r = Rng { s: [1, 2, 3, 4] };
        assert_eq!(r.next_u64(), 41943041);
        assert_eq!(r.next_u64(), 58720359);
        assert_eq!(r.next_u64(), 3588806011781223);
    }
}
