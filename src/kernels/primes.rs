//! Primes in a range `[lo, hi)` by a segmented sieve of Eratosthenes over odd
//! numbers, for `hi` up to 2^53 + 1 (every integer a JS number holds exactly).
//!
//! A `Sieve` keeps its base primes and its segment buffer between calls, so a
//! worker that runs many chunks of one search builds them once: this is the
//! state-across-chunks that makes the chunked search cheap.

use crate::error::{Error, Result};

/// Largest `hi` accepted: 2^53 + 1, so that every n < hi is a safe integer.
pub const MAX_HI: u64 = (1 << 53) + 1;

/// Odd numbers per segment when `hi` is small: 256 KiB of bytes, which stays
/// in L2 and keeps the per-segment overhead (one division per base prime) low.
const MIN_SEGMENT: usize = 1 << 18;
/// Upper bound for the segment, reached only for `hi` near 2^53 where there
/// are millions of base primes and each segment must pay for visiting them.
const MAX_SEGMENT: usize = 1 << 23;

/// floor(sqrt(n)) exactly, for any u64.
pub fn isqrt(n: u64) -> u64 {
    let mut r = (n as f64).sqrt() as u64;
    while r.checked_mul(r).is_none_or(|s| s > n) {
        r -= 1;
    }
    while (r + 1).checked_mul(r + 1).is_some_and(|s| s <= n) {
        r += 1;
    }
    r
}

#[derive(Default)]
pub struct Sieve {
    /// Odd primes up to `base_limit`, ascending.
    base: Vec<u32>,
    base_limit: u64,
    segment: Vec<u8>,
}

impl Sieve {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `base` hold every odd prime <= `limit`.
    fn ensure_base(&mut self, limit: u64) {
        if limit <= self.base_limit {
            return;
        }
        // Primes up to sqrt(limit) by a plain sieve, then the rest of the base
        // by sieving segments with those: no byte per number up to `limit`.
        let small_limit = isqrt(limit) as usize;
        let mut is_comp = vec![false; small_limit + 1];
        let mut small = Vec::new();
        for i in 3..=small_limit {
            if i % 2 == 1 && !is_comp[i] {
                small.push(i as u32);
                let mut j = i * i;
                while j <= small_limit {
                    is_comp[j] = true;
                    j += i;
                }
            }
        }
        let mut base = Vec::new();
        let mut seg = std::mem::take(&mut self.segment);
        sieve_odd_range(3, limit + 1, &small, &mut seg, MIN_SEGMENT, |n| {
            base.push(n as u32)
        });
        self.segment = seg;
        self.base = base;
        self.base_limit = limit;
    }

    fn check(lo: u64, hi: u64) -> Result<()> {
        if hi > MAX_HI {
            return Err(Error::OutOfRange {
                what: "hi",
                detail: format!("must be at most 2^53 + 1, got {hi}"),
            });
        }
        if lo > hi {
            return Err(Error::OutOfRange {
                what: "lo",
                detail: format!("must be <= hi ({hi}), got {lo}"),
            });
        }
        Ok(())
    }

    /// Visits every prime in `[lo, hi)` in ascending order.
    fn for_each_prime(&mut self, lo: u64, hi: u64, mut f: impl FnMut(u64)) -> Result<()> {
        Self::check(lo, hi)?;
        if lo <= 2 && 2 < hi {
            f(2);
        }
        let start = lo.max(3) | 1;
        if start >= hi {
            return Ok(());
        }
        self.ensure_base(isqrt(hi - 1));
        let seg_len = (isqrt(hi) as usize / 2).clamp(MIN_SEGMENT, MAX_SEGMENT);
        let base = std::mem::take(&mut self.base);
        let mut seg = std::mem::take(&mut self.segment);
        sieve_odd_range(start, hi, &base, &mut seg, seg_len, f);
        self.base = base;
        self.segment = seg;
        Ok(())
    }

    /// Number of primes in `[lo, hi)`.
    pub fn count(&mut self, lo: u64, hi: u64) -> Result<u64> {
        let mut c = 0u64;
        self.for_each_prime(lo, hi, |_| c += 1)?;
        Ok(c)
    }

    /// Writes `out[i] = 1` if `lo + i` is prime, else 0, for `i < out.len()`;
    /// returns how many primes it marked.
    pub fn mark(&mut self, out: &mut [u8], lo: u64) -> Result<u64> {
        let hi = lo
            .checked_add(out.len() as u64)
            .filter(|&h| h <= MAX_HI)
            .ok_or_else(|| Error::OutOfRange {
                what: "out",
                detail: format!("lo + length must be at most 2^53 + 1 (lo = {lo})"),
            })?;
        out.fill(0);
        let mut c = 0u64;
        self.for_each_prime(lo, hi, |p| {
            out[(p - lo) as usize] = 1;
            c += 1;
        })?;
        Ok(c)
    }
}

/// Sieves the odd numbers `start, start + 2, ... < hi` (`start` odd, >= 3)
/// with the odd primes `base` (which must include every odd prime up to
/// sqrt(hi - 1)), one segment of `seg_len` odd numbers at a time, and calls
/// `f` on each prime in order.
fn sieve_odd_range(
    start: u64,
    hi: u64,
    base: &[u32],
    seg: &mut Vec<u8>,
    seg_len: usize,
    mut f: impl FnMut(u64),
) {
    if seg.len() < seg_len {
        seg.resize(seg_len, 0);
    }
    let mut lo = start;
    while lo < hi {
        let count = ((hi - lo).div_ceil(2) as usize).min(seg_len);
        let seg = &mut seg[..count];
        seg.fill(1);
        let seg_hi = lo + 2 * count as u64; // exclusive
        for &p in base {
            let p = p as u64;
            let sq = p * p;
            if sq >= seg_hi {
                break;
            }
            // First odd multiple of p that is >= max(lo, p²).
            let mut m = if sq >= lo { sq } else { lo.div_ceil(p) * p };
            if m % 2 == 0 {
                m += p;
            }
            let mut i = ((m - lo) / 2) as usize;
            let step = p as usize;
            while i < count {
                seg[i] = 0;
                i += step;
            }
        }
        for (i, &s) in seg.iter().enumerate() {
            if s != 0 {
                f(lo + 2 * i as u64);
            }
        }
        lo = seg_hi;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_prime(n: u64) -> bool {
        if n < 2 {
            return false;
        }
        let mut d = 2;
        while d * d <= n {
            if n % d == 0 {
                return false;
            }
            d += 1;
        }
        true
    }

    #[test]
    fn isqrt_is_exact() {
        for n in [
            0u64,
            1,
            2,
            3,
            4,
            15,
            16,
            17,
            1 << 52,
            (1 << 53) + 1,
            u64::MAX,
        ] {
            let r = isqrt(n);
            assert!(r * r <= n && (r + 1).checked_mul(r + 1).is_none_or(|s| s > n));
        }
    }

    #[test]
    fn small_ranges_match_trial_division() {
        let mut s = Sieve::new();
        for lo in 0..60u64 {
            for hi in lo..lo + 70 {
                let want = (lo..hi).filter(|&n| is_prime(n)).count() as u64;
                assert_eq!(s.count(lo, hi).unwrap(), want, "[{lo}, {hi})");
            }
        }
    }

    #[test]
    fn known_pi_values() {
        let mut s = Sieve::new();
        let known = [
            (10u64, 4u64),
            (100, 25),
            (1000, 168),
            (10_000, 1229),
            (1_000_000, 78_498),
            (10_000_000, 664_579),
        ];
        for (n, pi) in known {
            assert_eq!(s.count(0, n + 1).unwrap(), pi, "pi({n})");
        }
        // Split at an arbitrary point: counts add up (what the pool relies on).
        assert_eq!(
            s.count(0, 123_457).unwrap() + s.count(123_457, 10_000_001).unwrap(),
            664_579
        );
    }

    #[test]
    fn near_two_to_the_53() {
        let mut s = Sieve::new();
        let hi = MAX_HI; // 2^53 + 1
        let lo = hi - 2000;
        let want = (lo..hi).filter(|&n| miller_rabin(n)).count() as u64;
        assert_eq!(s.count(lo, hi).unwrap(), want);
        // 2^53 - 111 is the largest prime below 2^53.
        let mut out = vec![0u8; 200];
        s.mark(&mut out, (1 << 53) - 200).unwrap();
        let last = out.iter().rposition(|&b| b == 1).unwrap() as u64;
        assert_eq!((1u64 << 53) - 200 + last, (1 << 53) - 111);
    }

    #[test]
    fn rejects_out_of_range() {
        let mut s = Sieve::new();
        assert_eq!(
            s.count(0, MAX_HI + 1).unwrap_err().code(),
            "ERR_SABRE_OUT_OF_RANGE"
        );
        assert!(s.count(10, 5).is_err());
        let mut out = [7u8; 4];
        assert!(s.mark(&mut out, MAX_HI).is_err());
        assert_eq!(out, [7u8; 4]);
    }

    #[test]
    fn mark_matches_trial_division() {
        let mut s = Sieve::new();
        for (lo, n) in [
            (0u64, 0usize),
            (0, 1),
            (0, 100),
            (1000, 777),
            (999_983, 1 << 19),
        ] {
            let mut out = vec![9u8; n];
            let c = s.mark(&mut out, lo).unwrap();
            assert_eq!(c, out.iter().filter(|&&b| b == 1).count() as u64);
            for (i, &b) in out.iter().enumerate() {
                assert_eq!(b == 1, is_prime(lo + i as u64), "{}", lo + i as u64);
            }
        }
    }

    /// Deterministic Miller-Rabin for n < 3.3e24 (bases up to 41).
    fn miller_rabin(n: u64) -> bool {
        if n < 2 {
            return false;
        }
        let mulmod = |a: u64, b: u64| ((a as u128 * b as u128) % n as u128) as u64;
        let powmod = |mut b: u64, mut e: u64| {
            let mut r = 1u64;
            b %= n;
            while e > 0 {
                if e & 1 == 1 {
                    r = mulmod(r, b);
                }
                b = mulmod(b, b);
                e >>= 1;
            }
            r
        };
        for p in [2u64, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41] {
            if n % p == 0 {
                return n == p;
            }
        }
        let (mut d, mut s) = (n - 1, 0);
        while d % 2 == 0 {
            d /= 2;
            s += 1;
        }
        'outer: for a in [2u64, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41] {
            let mut x = powmod(a, d);
            if x == 1 || x == n - 1 {
                continue;
            }
            for _ in 1..s {
                x = mulmod(x, x);
                if x == n - 1 {
                    continue 'outer;
                }
            }
            return false;
        }
        true
    }
}
