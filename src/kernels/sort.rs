//! Sorting in JavaScript's order: the chunk sort and the merge of two sorted
//! runs that the parallel `sort` kernel is built from (js/kernels/sort.js).
//!
//! The order is exactly `TypedArray.prototype.sort()` without a comparator:
//! numeric, and for floats
//! `-Infinity < ... < -0 < +0 < ... < +Infinity < NaN`. Every NaN sorts
//! last, whatever its sign bit or payload, and every NaN that a sort writes
//! is the canonical quiet NaN (`0x7ff8...`): a NaN's payload is not kept,
//! but it stays NaN.
//!
//! Both work on an order-preserving unsigned key of the element's bits: for
//! floats `key = sign ? !bits : bits | SIGN` (a NaN first becomes the
//! canonical NaN, so all NaNs share the largest key), for i32 `bits ^
//! SIGN`, for u32 the bits themselves. The key is a bijection once NaNs are
//! canonical, so elements with equal keys are identical and an unstable sort
//! gives the same output as a stable one.
//!
//! `sort` converts the slice to keys in place, runs an LSD radix sort over
//! 11-bit digits (skipping digits that all keys share), and converts back.
//! Measured in the +simd128 wasm, random data already in wasm memory
//! (medians of 7; JS is `TypedArray#sort` on the same data):
//!
//! | 2^n elements   | radix 11-bit | radix 8-bit | sort_unstable on keys | JS sort |
//! |----------------|--------------|-------------|-----------------------|---------|
//! | f64, 2^16      | 1.4-1.7 ms   | 2.7 ms      | 1.8-2.2 ms            | 7.5 ms  |
//! | f64, 2^18      | 8.6-11.6 ms  | 13.0 ms     | 8.0-9.8 ms            | 34 ms   |
//! | i32, 2^16      | 0.8-0.9 ms   | 1.1 ms      | 1.6-1.9 ms            | 4.5 ms  |
//! | i32, 2^18      | 3.4-4.0 ms   | 4.9 ms      | 7.2-8.9 ms            | 21 ms   |
//!
//! So 11-bit radix everywhere (u64 keys at 2^18 are a tie with
//! `sort_unstable`, and radix is data-independent), with `sort_unstable`
//! below `Key::RADIX_FROM` keys, where zeroing histograms dominates.

use crate::error::{Error, Result};

/// An unsigned order key that the radix sort takes digits of.
pub trait Key: bytemuck::Pod + Ord {
    const BITS: u32;
    /// From this many keys on, the radix sort beats `sort_unstable`.
    const RADIX_FROM: usize;
    /// The 11-bit digit at bit `shift`.
    fn digit(self, shift: u32) -> usize;
}

impl Key for u32 {
    const BITS: u32 = 32;
    const RADIX_FROM: usize = 1 << 11;
    #[inline(always)]
    fn digit(self, shift: u32) -> usize {
        ((self >> shift) as usize) & (BUCKETS - 1)
    }
}

impl Key for u64 {
    const BITS: u32 = 64;
    const RADIX_FROM: usize = 1 << 14;
    #[inline(always)]
    fn digit(self, shift: u32) -> usize {
        ((self >> shift) as usize) & (BUCKETS - 1)
    }
}

/// The element types `sort` takes, with their order keys.
pub trait Sortable: bytemuck::Pod {
    /// An unsigned integer as wide as the element.
    type K: Key;
    /// The element's raw bits (as `K`) to its order key; NaNs all get the
    /// key of the canonical NaN.
    fn key_of_bits(bits: Self::K) -> Self::K;
    /// The inverse of `key_of_bits` (NaNs come back canonical).
    fn bits_of_key(key: Self::K) -> Self::K;
    #[inline(always)]
    fn key(self) -> Self::K {
        Self::key_of_bits(bytemuck::cast(self))
    }
}

macro_rules! float_sortable {
    ($t:ty, $k:ty, $signed:ty, inf = $inf:expr, nan = $nan:expr) => {
        impl Sortable for $t {
            type K = $k;
            #[inline(always)]
            fn key_of_bits(bits: $k) -> $k {
                const SIGN: $k = 1 << (<$k>::BITS - 1);
                // Literals: `to_bits` is const only from Rust 1.83 (MSRV 1.82).
                const INF: $k = $inf;
                const NAN: $k = $nan;
                let bits = if bits & !SIGN > INF { NAN } else { bits };
                // All ones if negative, 0 otherwise.
                let neg = ((bits as $signed) >> (<$k>::BITS - 1)) as $k;
                bits ^ (neg | SIGN)
            }
            #[inline(always)]
            fn bits_of_key(key: $k) -> $k {
                const SIGN: $k = 1 << (<$k>::BITS - 1);
                // All ones if the key's top bit is set (a non-negative value).
                let pos = ((key as $signed) >> (<$k>::BITS - 1)) as $k;
                key ^ (!pos | SIGN)
            }
        }
    };
}
float_sortable!(
    f64,
    u64,
    i64,
    inf = 0x7ff0_0000_0000_0000,
    nan = 0x7ff8_0000_0000_0000
);
float_sortable!(f32, u32, i32, inf = 0x7f80_0000, nan = 0x7fc0_0000);

impl Sortable for i32 {
    type K = u32;
    #[inline(always)]
    fn key_of_bits(bits: u32) -> u32 {
        bits ^ 0x8000_0000
    }
    #[inline(always)]
    fn bits_of_key(key: u32) -> u32 {
        key ^ 0x8000_0000
    }
}

impl Sortable for u32 {
    type K = u32;
    #[inline(always)]
    fn key_of_bits(bits: u32) -> u32 {
        bits
    }
    #[inline(always)]
    fn bits_of_key(key: u32) -> u32 {
        key
    }
}

/// Sorts `x` in place in JS order (see the module comment: NaNs last and
/// canonical, `-0` before `+0`). `tmp` is working space of at least
/// `x.len()` elements; its contents afterwards are unspecified.
pub fn sort<T: Sortable>(x: &mut [T], tmp: &mut [T]) -> Result<()> {
    let n = x.len();
    if tmp.len() < n {
        return Err(Error::LengthMismatch {
            what: "tmp",
            expected: n,
            actual: tmp.len(),
        });
    }
    let tmp = &mut tmp[..n];
    let keys: &mut [T::K] = bytemuck::cast_slice_mut(x);
    for k in keys.iter_mut() {
        *k = T::key_of_bits(*k);
    }
    if n < T::K::RADIX_FROM {
        keys.sort_unstable();
    } else {
        radix_sort(keys, bytemuck::cast_slice_mut(tmp));
    }
    for k in keys.iter_mut() {
        *k = T::bits_of_key(*k);
    }
    Ok(())
}

/// Digit width of the radix sort: 3 passes for u32 keys, 6 for u64.
const DIGIT: u32 = 11;
const BUCKETS: usize = 1 << DIGIT;

/// LSD radix sort of `keys` over 11-bit digits, `tmp.len() == keys.len()`.
///
/// One read pass counts every digit; a digit that all keys share (common
/// in the high bytes of floats of one magnitude, or of small integers) is
/// skipped. The passes ping-pong between `keys` and `tmp`; an odd number of
/// passes ends with one copy back.
fn radix_sort<K: Key>(keys: &mut [K], tmp: &mut [K]) {
    let n = keys.len();
    let passes = K::BITS.div_ceil(DIGIT) as usize;
    // 6 * 2048 counters: 48 KiB of stack in wasm.
    let mut hist = [[0usize; BUCKETS]; 64usize.div_ceil(DIGIT as usize)];
    for &k in keys.iter() {
        for (p, h) in hist.iter_mut().enumerate().take(passes) {
            h[k.digit(DIGIT * p as u32)] += 1;
        }
    }
    let mut in_keys = true;
    for (p, h) in hist.iter_mut().enumerate().take(passes) {
        if h.contains(&n) {
            continue;
        }
        let mut sum = 0;
        for c in h.iter_mut() {
            let t = *c;
            *c = sum;
            sum += t;
        }
        let shift = DIGIT * p as u32;
        if in_keys {
            scatter(keys, tmp, h, shift);
        } else {
            scatter(tmp, keys, h, shift);
        }
        in_keys = !in_keys;
    }
    if !in_keys {
        keys.copy_from_slice(tmp);
    }
}

#[inline(always)]
fn scatter<K: Key>(src: &[K], dst: &mut [K], offsets: &mut [usize; BUCKETS], shift: u32) {
    for &k in src {
        let d = k.digit(shift);
        dst[offsets[d]] = k;
        offsets[d] += 1;
    }
}

/// Merges the sorted runs `a` and `b` into `out` (`out.len() == a.len() +
/// b.len()`), in JS order; on equal keys `a` comes first.
pub fn merge<T: Sortable>(a: &[T], b: &[T], out: &mut [T]) -> Result<()> {
    if out.len() != a.len() + b.len() {
        return Err(Error::LengthMismatch {
            what: "out",
            expected: a.len() + b.len(),
            actual: out.len(),
        });
    }
    let (mut i, mut j, mut o) = (0, 0, 0);
    if !a.is_empty() && !b.is_empty() {
        let (mut ka, mut kb) = (a[0].key(), b[0].key());
        loop {
            if ka <= kb {
                out[o] = a[i];
                i += 1;
                o += 1;
                if i == a.len() {
                    break;
                }
                ka = a[i].key();
            } else {
                out[o] = b[j];
                j += 1;
                o += 1;
                if j == b.len() {
                    break;
                }
                kb = b[j].key();
            }
        }
    }
    out[o..o + a.len() - i].copy_from_slice(&a[i..]);
    out[o + a.len() - i..].copy_from_slice(&b[j..]);
    Ok(())
}

/// Merge path / co-rank: how many of the first `k` elements of
/// `merge(a, b)` come from `a` (`k <= a.len() + b.len()`). A merge's output
/// range `[s, t)` is then `merge(a[i(s)..i(t)], b[s-i(s)..t-i(t)])`, so a
/// merge splits into independent pieces. js/kernels/sort.js mirrors this.
pub fn co_rank<T: Sortable>(k: usize, a: &[T], b: &[T]) -> usize {
    let mut lo = k.saturating_sub(b.len());
    let mut hi = k.min(a.len());
    while lo < hi {
        let i = lo + (hi - lo) / 2;
        // a[i] is among the first k iff it does not come after b[k - i - 1].
        if a[i].key() <= b[k - i - 1].key() {
            lo = i + 1;
        } else {
            hi = i;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testutil::{Rng, EDGE_SIZES};
    use std::cmp::Ordering;

    /// The JS order, readably: NaNs (any sign, any payload) after everything,
    /// otherwise IEEE total order (which puts -0 before +0).
    fn js_cmp64(a: &f64, b: &f64) -> Ordering {
        match (a.is_nan(), b.is_nan()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => a.total_cmp(b),
        }
    }
    fn js_cmp32(a: &f32, b: &f32) -> Ordering {
        match (a.is_nan(), b.is_nan()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => a.total_cmp(b),
        }
    }

    /// Same bits, except that any NaN equals any NaN (payloads are not kept).
    fn same64(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    }
    fn same32(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    }

    /// NaNs of both signs and several payloads, signed zeros, infinities,
    /// subnormals, and duplicates.
    fn specials64() -> Vec<f64> {
        vec![
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7ff0_0000_0000_0001), // signalling NaN
            f64::from_bits(0xfff0_0000_dead_beef),
            f64::from_bits(0x7fff_ffff_ffff_ffff),
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            5e-324,
            -5e-324,
            f64::MAX,
            f64::MIN,
            1.0,
            1.0,
            -1.0,
        ]
    }

    fn data64(rng: &mut Rng, n: usize, kind: usize) -> Vec<f64> {
        let sp = specials64();
        let mut v = rng.f64s(n);
        match kind {
            // random with specials spread through
            0 => {
                for i in 0..n / 5 {
                    let at = (rng.next_u64() as usize) % n;
                    v[at] = sp[i % sp.len()];
                }
            }
            // few distinct values: many duplicates
            1 => v.iter_mut().for_each(|x| *x = (*x / 25.0).round()),
            // already sorted, reverse-sorted
            2 => v.sort_by(js_cmp64),
            3 => {
                v.sort_by(js_cmp64);
                v.reverse();
            }
            // raw random bits: every exponent, sign and NaN payload
            _ => v
                .iter_mut()
                .for_each(|x| *x = f64::from_bits(rng.next_u64())),
        }
        v
    }

    fn sorted64(v: &[f64]) -> Vec<f64> {
        let mut want = v.to_vec();
        want.sort_by(js_cmp64);
        want
    }

    #[test]
    fn key_constants_are_ieee() {
        assert_eq!(f64::INFINITY.to_bits(), 0x7ff0_0000_0000_0000);
        assert_eq!(f64::NAN.to_bits(), 0x7ff8_0000_0000_0000);
        assert_eq!(f32::INFINITY.to_bits(), 0x7f80_0000);
        assert_eq!(f32::NAN.to_bits(), 0x7fc0_0000);
    }

    #[test]
    fn keys_are_monotone_and_invertible() {
        let mut v = specials64();
        v.sort_by(js_cmp64);
        for w in v.windows(2) {
            let (a, b) = (w[0].key(), w[1].key());
            assert_eq!(js_cmp64(&w[0], &w[1]), a.cmp(&b), "{} vs {}", w[0], w[1]);
        }
        for x in specials64() {
            let back = f64::from_bits(f64::bits_of_key(x.key()));
            if x.is_nan() {
                assert_eq!(
                    back.to_bits(),
                    f64::NAN.to_bits(),
                    "NaN comes back canonical"
                );
            } else {
                assert_eq!(back.to_bits(), x.to_bits());
            }
        }
        assert!(i32::MIN.key() < (-1i32).key() && (-1i32).key() < 0i32.key());
        assert!(0i32.key() < i32::MAX.key());
    }

    #[test]
    fn sort_f64_matches_reference() {
        let mut rng = Rng::new(11);
        for &n in EDGE_SIZES {
            for kind in 0..5 {
                if n > 300_000 && kind > 1 {
                    continue;
                }
                let mut x = data64(&mut rng, n, kind);
                let want = sorted64(&x);
                let mut tmp = vec![0.0; n + 3];
                sort(&mut x, &mut tmp).unwrap();
                assert!(same64(&x, &want), "n={n} kind={kind}");
                assert!(
                    x.iter()
                        .filter(|v| v.is_nan())
                        .all(|v| v.to_bits() == f64::NAN.to_bits()),
                    "NaNs canonical"
                );
            }
        }
        let mut short = vec![0.0; 2];
        assert!(sort(&mut [1.0, 2.0, 3.0], &mut short).is_err());
    }

    #[test]
    fn sort_f32_i32_u32_match_reference() {
        let mut rng = Rng::new(12);
        for &n in EDGE_SIZES {
            let mut f = rng.f32s(n);
            for i in 0..n / 7 {
                f[(rng.next_u64() as usize) % n] = [
                    f32::NAN,
                    -f32::NAN,
                    f32::from_bits(0xff80_0001),
                    0.0,
                    -0.0,
                    f32::INFINITY,
                    f32::NEG_INFINITY,
                ][i % 7];
            }
            let mut want = f.clone();
            want.sort_by(js_cmp32);
            let mut tmp = vec![0f32; n];
            sort(&mut f, &mut tmp).unwrap();
            assert!(same32(&f, &want), "f32 n={n}");

            let mut ints: Vec<i32> = (0..n).map(|_| rng.next_u64() as i32).collect();
            if n > 4 {
                ints[..4].copy_from_slice(&[i32::MIN, i32::MAX, 0, -1]);
            }
            let mut want = ints.clone();
            want.sort();
            let mut tmp = vec![0i32; n];
            sort(&mut ints, &mut tmp).unwrap();
            assert_eq!(ints, want, "i32 n={n}");

            // Small values: the high digits are skipped.
            let mut uints: Vec<u32> = (0..n).map(|_| (rng.next_u64() % 1000) as u32).collect();
            let mut want = uints.clone();
            want.sort();
            let mut tmp = vec![0u32; n];
            sort(&mut uints, &mut tmp).unwrap();
            assert_eq!(uints, want, "u32 n={n}");
        }
    }

    /// The whole parallel scheme of js/kernels/sort.js, sequentially: sort
    /// chunks of `grain`, then merge rounds of pairs, each output split at
    /// multiples of `piece` with `co_rank`.
    fn chunked_sort(x: &[f64], grain: usize, piece: usize) -> Vec<f64> {
        let n = x.len();
        let mut src = x.to_vec();
        let mut tmp = vec![0.0; grain];
        for c in src.chunks_mut(grain) {
            sort(c, &mut tmp).unwrap();
        }
        let mut dst = vec![0.0; n];
        let mut width = grain;
        while width < n {
            for s in (0..n).step_by(piece) {
                let t = (s + piece).min(n);
                let p = s / (2 * width) * (2 * width);
                let a = &src[p..(p + width).min(n)];
                let b = &src[(p + width).min(n)..(p + 2 * width).min(n)];
                let (i0, i1) = (co_rank(s - p, a, b), co_rank(t - p, a, b));
                let (j0, j1) = (s - p - i0, t - p - i1);
                merge(&a[i0..i1], &b[j0..j1], &mut dst[s..t]).unwrap();
            }
            std::mem::swap(&mut src, &mut dst);
            width *= 2;
        }
        src
    }

    #[test]
    fn chunked_merges_match_reference() {
        let mut rng = Rng::new(13);
        for &(grain, piece) in &[(4, 2), (8, 8), (64, 16), (1000, 250)] {
            for &n in &[
                0,
                1,
                2,
                3,
                4,
                5,
                7,
                8,
                9,
                17,
                63,
                64,
                65,
                333,
                4097,
                5 * 1000 + 1,
            ] {
                for kind in 0..5 {
                    let x = data64(&mut rng, n, kind);
                    let got = chunked_sort(&x, grain, piece);
                    assert!(
                        same64(&got, &sorted64(&x)),
                        "grain={grain} piece={piece} n={n} kind={kind}"
                    );
                }
            }
        }
    }

    #[test]
    fn merge_and_co_rank_edges() {
        let a = [1.0, 2.0, 2.0, f64::NAN];
        let b = [-0.0, 0.0, 2.0, 3.0];
        let mut out = [0.0; 8];
        merge(&a, &b, &mut out).unwrap();
        assert!(same64(
            &out,
            &[-0.0, 0.0, 1.0, 2.0, 2.0, 2.0, 3.0, f64::NAN]
        ));
        assert_eq!(co_rank(0, &a, &b), 0);
        assert_eq!(co_rank(8, &a, &b), 4);
        assert_eq!(co_rank(3, &a, &b), 1);
        assert_eq!(co_rank(5, &a, &b), 3, "ties: a's 2s come before b's");
        assert_eq!(co_rank(2, &[] as &[f64], &b), 0);
        assert_eq!(co_rank(2, &a, &[]), 2);
        assert!(merge(&a, &b, &mut [0.0; 7]).is_err());
        let mut one = [0.0];
        merge(&[], &[5.0], &mut one).unwrap();
        assert_eq!(one, [5.0]);
    }
}
