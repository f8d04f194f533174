//! Primes in a range `[lo, hi)` by segmented sieves of Eratosthenes, for `hi`
//! up to 2^53 + 1 (every integer a JS number holds exactly): `count` sieves a
//! mod-30 wheel (one bit per number coprime to 30, primes below 100
//! pre-sieved by patterns) and counts with popcount; `mark`, which writes a
//! byte per number, sieves one byte per odd number.
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
    /// The wheel sieve's segment, pre-sieve patterns and per-prime state.
    wheel_seg: Vec<u8>,
    patterns: Vec<Vec<u8>>,
    cross: Vec<Cross>,
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
        Self::check(lo, hi)?;
        if lo >= hi {
            return Ok(0);
        }
        // 2, 3 and 5 are off the wheel; the pre-sieved primes sieve
        // themselves away.
        let c = [2u64, 3, 5]
            .iter()
            .chain(PRESIEVE.iter().copied().flatten())
            .filter(|&&p| lo <= p && p < hi)
            .count() as u64;
        self.ensure_base(isqrt(hi - 1));
        Ok(c + wheel_count(
            lo,
            hi,
            &self.base,
            &mut self.wheel_seg,
            &mut self.patterns,
            &mut self.cross,
        ))
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

/// The residues mod 30 of the numbers coprime to 30: bit `j` of wheel byte
/// `b` stands for `30 * b + RES[j]`.
const RES: [u64; 8] = [1, 7, 11, 13, 17, 19, 23, 29];
/// `BIT[r]` is the bit of residue `r` (coprime to 30), 8 for the others.
const BIT: [u8; 30] = {
    let mut t = [8u8; 30];
    let mut j = 0;
    while j < 8 {
        t[RES[j] as usize] = j as u8;
        j += 1;
    }
    t
};
/// `UP[r]`: the least `t >= 0` with `r + t` coprime to 30.
const UP: [u8; 30] = {
    let mut t = [0u8; 30];
    let mut r = 0;
    while r < 30 {
        let mut s = r;
        while BIT[s % 30] == 8 {
            s += 1;
        }
        t[r] = (s - r) as u8;
        r += 1;
    }
    t
};
/// Wheel bytes per segment for `hi`: twice sqrt(hi) rounded up to a power
/// of two, from 64 KiB (L1 and a little L2) to 256 KiB (L2), so that most
/// base primes hit each segment several times (measured natively: 32 KiB is
/// 10 % slower at 1e9, 64 KiB 10 % slower than 256 KiB at 1e10).
fn wheel_segment(hi: u64) -> usize {
    (2 * (isqrt(hi) as usize).next_power_of_two()).clamp(1 << 16, 1 << 18)
}
/// The primes that are not crossed off but pre-sieved, by groups: one
/// pattern per group, of period the group's product (in wheel bytes), copied
/// (the first) or ANDed (the others) into each segment.
const PRESIEVE: [&[u64]; 10] = [
    &[7, 11, 13],
    &[17, 19, 23],
    &[29, 31],
    &[37, 41],
    &[43, 47],
    &[53, 59],
    &[61, 67],
    &[71, 73],
    &[79, 83],
    &[89, 97],
];
/// Primes from this on are crossed off: the first past the pre-sieved.
const FIRST_CROSSED: u32 = 101;

/// For a prime `p = 30 q + r` (`r` = RES[ri]) and a multiplier
/// `m = 30 a + RES[k]`, `p * m` is in byte `p a + q RES[k] + CARRY[ri][k]`
/// at bit `MBIT[ri][k]`; index 8 is the next `a`'s first multiplier (31).
struct Wheel {
    carry: [[u32; 9]; 8],
    mask: [[u8; 8]; 8],
}

const WHEEL: Wheel = {
    let mut carry = [[0u32; 9]; 8];
    let mut mask = [[0u8; 8]; 8];
    let mut ri = 0;
    while ri < 8 {
        let mut k = 0;
        while k < 9 {
            let s = if k == 8 { 31 } else { RES[k] };
            carry[ri][k] = (RES[ri] * s / 30) as u32;
            if k < 8 {
                mask[ri][k] = !(1u8 << BIT[(RES[ri] * s % 30) as usize]);
            }
            k += 1;
        }
        ri += 1;
    }
    Wheel { carry, mask }
};
/// `GAP[k] = RES[k + 1] - RES[k]`, with RES[8] = 31.
const GAP: [u32; 8] = [6, 4, 2, 4, 2, 4, 6, 2];

/// One period of the pattern of `group`: bit `j` of byte `b` is set if no
/// prime of the group divides `30 b + RES[j]`.
fn pattern(group: &[u64]) -> Vec<u8> {
    (0..group.iter().product::<u64>())
        .map(|b| {
            (0..8).fold(0u8, |acc, j| {
                let n = 30 * b + RES[j];
                if group.iter().all(|&p| n % p != 0) {
                    acc | 1 << j
                } else {
                    acc
                }
            })
        })
        .collect()
}

/// Where a crossed-off prime stands: its next multiple is in byte `i` of
/// the current segment, with multiplier residue `RES[k]`.
#[derive(Clone, Copy)]
struct Cross {
    i: u32,
    k: u32,
}

/// Crosses off the multiples of `p` (>= 7) in `seg`, from `c` on; leaves
/// `c` at the first multiple past the segment, relative to the next one.
#[inline(always)]
fn cross_off(seg: &mut [u8], p: u32, c: &mut Cross) {
    let len = seg.len();
    let (q, ri) = (p / 30, BIT[(p % 30) as usize] as usize);
    let carry = &WHEEL.carry[ri];
    let mask = &WHEEL.mask[ri];
    let step = |k: usize| (q * GAP[k] + carry[k + 1] - carry[k]) as usize;
    let (mut i, mut k) = (c.i as usize, c.k as usize);
    while k != 0 && i < len {
        seg[i] &= mask[k];
        i += step(k);
        k = (k + 1) & 7;
    }
    if k == 0 {
        let p = p as usize;
        // Offsets of the 8 multiples of one turn of the wheel from the first.
        let d = |k: usize| (q * (RES[k] as u32 - 1) + carry[k]) as usize;
        let d7 = d(7);
        if i + d7 < len {
            let ds = [d(1), d(2), d(3), d(4), d(5), d(6), d7];
            while i + d7 < len {
                let s = &mut seg[i..=i + d7];
                s[0] &= mask[0];
                s[ds[0]] &= mask[1];
                s[ds[1]] &= mask[2];
                s[ds[2]] &= mask[3];
                s[ds[3]] &= mask[4];
                s[ds[4]] &= mask[5];
                s[ds[5]] &= mask[6];
                s[ds[6]] &= mask[7];
                i += p;
            }
        }
        while i < len {
            seg[i] &= mask[k];
            i += step(k);
            k = (k + 1) & 7;
        }
    }
    c.i = (i - len) as u32;
    c.k = k as u32;
}

/// Number of primes in `[lo, hi)` other than 2, 3, 5 and PRESIEVE's, by a
/// segmented mod-30 wheel sieve: `base` holds every odd prime up to
/// sqrt(hi - 1) (and maybe more), `seg`, `pat` and `state` are scratch.
fn wheel_count(
    lo: u64,
    hi: u64,
    base: &[u32],
    seg: &mut Vec<u8>,
    pats: &mut Vec<Vec<u8>>,
    state: &mut Vec<Cross>,
) -> u64 {
    if lo >= hi {
        return 0;
    }
    if pats.is_empty() {
        *pats = PRESIEVE.iter().map(|g| pattern(g)).collect();
    }
    let seg_len = wheel_segment(hi);
    seg.resize(seg_len, 0);
    state.clear();
    let first = lo / 30; // first byte
    let last = (hi - 1) / 30; // last byte, inclusive
    let lo_mask = (0..8).fold(0u8, |m, j| if RES[j] >= lo % 30 { m | 1 << j } else { m });
    let hi_mask = (0..8).fold(0u8, |m, j| {
        if RES[j] <= (hi - 1) % 30 {
            m | 1 << j
        } else {
            m
        }
    });
    let crossed = &base[base.partition_point(|&p| p < FIRST_CROSSED)..];
    let mut total = 0u64;
    let mut b = first;
    while b <= last {
        let len = ((last - b + 1) as usize).min(seg_len);
        let seg = &mut seg[..len];
        // Pre-sieve: each pattern from byte b mod its period.
        for (g, pat) in pats.iter().enumerate() {
            let mut off = (b % pat.len() as u64) as usize;
            let mut at = 0;
            while at < len {
                let n = (pat.len() - off).min(len - at);
                let (to, from) = (&mut seg[at..at + n], &pat[off..off + n]);
                if g == 0 {
                    to.copy_from_slice(from);
                } else {
                    to.iter_mut().zip(from).for_each(|(t, &f)| *t &= f);
                }
                at += n;
                off = 0;
            }
        }
        if b == 0 {
            seg[0] &= !1; // 1 is not prime
        }
        // Primes whose square is below this segment's end start here.
        let end = (30 * (b + len as u64)).min(hi);
        while state.len() < crossed.len() {
            let p = crossed[state.len()] as u64;
            if p * p >= end {
                break;
            }
            let m = p.max((30 * b).div_ceil(p));
            let m = m + UP[(m % 30) as usize] as u64;
            state.push(Cross {
                i: (p * m / 30 - b) as u32,
                k: BIT[(m % 30) as usize] as u32,
            });
        }
        for (c, &p) in state.iter_mut().zip(crossed) {
            cross_off(seg, p, c);
        }
        if b == first {
            seg[0] &= lo_mask;
        }
        if b + len as u64 == last + 1 {
            seg[len - 1] &= hi_mask;
        }
        let mut words = seg.chunks_exact(8);
        for w in &mut words {
            total += u64::from_le_bytes(w.try_into().unwrap()).count_ones() as u64;
        }
        total += words
            .remainder()
            .iter()
            .map(|&x| x.count_ones() as u64)
            .sum::<u64>();
        b += len as u64;
    }
    total
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

    /// `pi[n]` = number of primes < n, for n <= limit, by a plain sieve.
    fn prefix_counts(limit: usize) -> Vec<u64> {
        let mut comp = vec![false; limit];
        let mut pi = vec![0u64; limit + 1];
        for n in 0..limit {
            let prime = n >= 2 && !comp[n];
            if prime {
                let mut j = n.saturating_mul(n);
                while j < limit {
                    comp[j] = true;
                    j += n;
                }
            }
            pi[n + 1] = pi[n] + prime as u64;
        }
        pi
    }

    /// A small xorshift generator: reproducible, no dependency.
    fn rng(seed: u64) -> impl FnMut(u64) -> u64 {
        let mut x = seed;
        move |n| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        }
    }

    #[test]
    fn every_range_below_200_matches_a_plain_sieve() {
        let pi = prefix_counts(200);
        let mut s = Sieve::new();
        for lo in 0..200u64 {
            for hi in lo..200 {
                let want = pi[hi as usize] - pi[lo as usize];
                assert_eq!(s.count(lo, hi).unwrap(), want, "[{lo}, {hi})");
            }
        }
    }

    #[test]
    fn random_ranges_match_a_plain_sieve() {
        // 3e6 spans two 64 KiB segments (1,966,080 numbers each).
        const N: usize = 3_000_000;
        let pi = prefix_counts(N);
        let mut s = Sieve::new();
        let mut r = rng(0x9e37_79b9_7f4a_7c15);
        for i in 0..3000 {
            let lo = r(N as u64);
            let len = match i % 3 {
                0 => r(100),
                1 => r(100_000),
                _ => r(N as u64),
            };
            let hi = (lo + len).min(N as u64);
            let want = pi[hi as usize] - pi[lo as usize];
            assert_eq!(s.count(lo, hi).unwrap(), want, "[{lo}, {hi})");
        }
        // Ends on and next to every segment and pattern boundary.
        for edge in [1_966_080u64, 30 * 1001, 30 * 2002 + 7, 30 * 8633] {
            for lo in edge - 40..edge + 40 {
                for hi in [lo, lo + 1, edge + 31, edge + 100_000] {
                    let hi = hi.max(lo);
                    let want = pi[hi as usize] - pi[lo as usize];
                    assert_eq!(s.count(lo, hi).unwrap(), want, "[{lo}, {hi})");
                }
            }
        }
    }

    #[test]
    fn chunked_counts_add_up() {
        let mut s = Sieve::new();
        let hi = 5_000_000u64;
        let whole = s.count(0, hi).unwrap();
        let mut r = rng(12345);
        for _ in 0..20 {
            let (mut lo, mut sum) = (0u64, 0u64);
            while lo < hi {
                let next = (lo + r(400_000)).min(hi);
                sum += s.count(lo, next).unwrap();
                lo = next;
            }
            assert_eq!(sum, whole);
        }
    }

    /// The old byte-per-odd-number sieve (still behind `mark`), as a second,
    /// independent count where no table of pi is at hand.
    fn byte_count(s: &mut Sieve, lo: u64, hi: u64) -> u64 {
        let mut c = 0;
        s.for_each_prime(lo, hi, |_| c += 1).unwrap();
        c
    }

    #[test]
    fn windows_far_out_match_the_byte_sieve() {
        let mut s = Sieve::new();
        for (lo, hi) in [
            ((1 << 32) - 1_000_003, (1 << 32) + 999_999),
            (9_999_000_001, 10_000_000_000),
            (999_999_999_989, 1_000_001_234_567),
            ((1 << 40) + 3, (1 << 40) + 20_000_000), // crosses 256 KiB segments
        ] {
            assert_eq!(
                s.count(lo, hi).unwrap(),
                byte_count(&mut s, lo, hi),
                "[{lo}, {hi})"
            );
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
            (100_000_000, 5_761_455),
            (1_000_000_000, 50_847_534),
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
        for (lo, hi) in [(hi - 1001, hi - 1), (hi - 1017, hi - 29), (hi - 1, hi)] {
            let want = (lo..hi).filter(|&n| miller_rabin(n)).count() as u64;
            assert_eq!(s.count(lo, hi).unwrap(), want, "[{lo}, {hi})");
        }
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

    /// Timing, not a check: `cargo test --release -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn time_count() {
        let mut s = Sieve::new();
        for (n, pi, reps) in [
            (1_000_000_000u64, 50_847_534u64, 7),
            (10_000_000_000, 455_052_511, 2),
        ] {
            let mut best = std::time::Duration::MAX;
            for _ in 0..reps {
                let t = std::time::Instant::now();
                assert_eq!(s.count(0, n).unwrap(), pi);
                best = best.min(t.elapsed());
            }
            eprintln!("count(0, {n}): best of {reps}: {best:?}");
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
