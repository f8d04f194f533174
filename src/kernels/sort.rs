//! Sorting in JavaScript's order: the chunk sort, and the two passes of
//! the sample sort that the parallel `sort` kernel runs over bigger arrays
//! (js/kernels/sort.js): [`partition`] (a chunk's keys grouped by bucket)
//! and [`sort_buckets`] (a run of buckets gathered from every chunk, each
//! bucket sorted).
//!
//! The order is exactly `TypedArray.prototype.sort()` without a comparator:
//! numeric, and for floats
//! `-Infinity < ... < -0 < +0 < ... < +Infinity < NaN`. Every NaN sorts
//! last, whatever its sign bit or payload, and every NaN that a sort writes
//! is the canonical quiet NaN (`0x7ff8...`): a NaN's payload is not kept,
//! but it stays NaN.
//!
//! All work on an order-preserving unsigned key of the element's bits: for
//! floats `key = sign ? !bits : bits | SIGN` (a NaN first becomes the
//! canonical NaN, so all NaNs share the largest key), for i32 `bits ^
//! SIGN`, for u32 the bits themselves. The key is a bijection once NaNs are
//! canonical, so elements with equal keys are identical and an unstable sort
//! gives the same output as a stable one.
//!
//! `sort` converts the slice to keys in place, runs [`sort_keys`] (an LSD
//! radix sort over the bits in which the keys differ, in digits of up to 12
//! bits), and converts back. Measured before the varying-bits digits, in
//! the +simd128 wasm, random data already in wasm memory (medians of 7; JS
//! is `TypedArray#sort` on the same data):
//!
//! | 2^n elements   | radix 11-bit | radix 8-bit | sort_unstable on keys | JS sort |
//! |----------------|--------------|-------------|-----------------------|---------|
//! | f64, 2^16      | 1.4-1.7 ms   | 2.7 ms      | 1.8-2.2 ms            | 7.5 ms  |
//! | f64, 2^18      | 8.6-11.6 ms  | 13.0 ms     | 8.0-9.8 ms            | 34 ms   |
//! | i32, 2^16      | 0.8-0.9 ms   | 1.1 ms      | 1.6-1.9 ms            | 4.5 ms  |
//! | i32, 2^18      | 3.4-4.0 ms   | 4.9 ms      | 7.2-8.9 ms            | 21 ms   |
//!
//! So radix everywhere (it is data-independent), with
//! `sort_unstable` below `RADIX_FROM_PER_PASS` keys per pass, where zeroing
//! histograms dominates.

use crate::error::{Error, Result};

/// An unsigned order key that the radix sort takes digits of.
pub trait Key: bytemuck::Pod + Ord {
    const BITS: u32;
    /// The key zero-extended to 64 bits (digits and bit masks are taken there).
    fn wide(self) -> u64;
}

impl Key for u32 {
    const BITS: u32 = 32;
    #[inline(always)]
    fn wide(self) -> u64 {
        self as u64
    }
}

impl Key for u64 {
    const BITS: u32 = 64;
    #[inline(always)]
    fn wide(self) -> u64 {
        self
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
    /// The element's value as f64 (exact for every type here).
    fn to_f64(self) -> f64;
}

macro_rules! float_sortable {
    ($t:ty, $k:ty, $signed:ty, inf = $inf:expr, nan = $nan:expr) => {
        impl Sortable for $t {
            type K = $k;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
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
    fn to_f64(self) -> f64 {
        self as f64
    }
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
    fn to_f64(self) -> f64 {
        self as f64
    }
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
    let keys: &mut [T::K] = bytemuck::cast_slice_mut(x);
    for k in keys.iter_mut() {
        *k = T::key_of_bits(*k);
    }
    sort_keys(keys, bytemuck::cast_slice_mut(&mut tmp[..n]));
    for k in keys.iter_mut() {
        *k = T::bits_of_key(*k);
    }
    Ok(())
}

/// Widest radix digit: 2^12 counters of 4 bytes (16 KiB) stay in L1. Against
/// 11 bits, 1e7 f64 direct (medians of 9, interleaved): 5-10 % faster on
/// doubles of full precision (a bucket's ~46 varying bits: 4 passes, not 5),
/// the same on doubles of 32-bit precision.
const DIGIT: u32 = 12;
const BUCKETS: usize = 1 << DIGIT;
/// Below this many keys per radix pass, `sort_unstable` (insertion sort and
/// pattern-defeating quicksort) beats zeroing and summing radix histograms.
/// Native x86-64, radix time / `sort_unstable` time on random keys:
///
/// | varying bits (passes) | 256 keys | 512  | 1024 | 2048 | 4096 | 16384 |
/// |-----------------------|----------|------|------|------|------|-------|
/// | 64 (6)                | 3.17     | 1.90 | 1.24 | 0.95 | 0.77 | 0.66  |
/// | 44 (4)                | 2.21     | 1.30 | 0.88 | 0.64 | 0.54 | 0.45  |
/// | 32 (3)                | 1.72     | 1.00 | 0.70 | 0.52 | 0.43 | 0.35  |
const RADIX_FROM_PER_PASS: usize = 256;

/// Sorts `keys` ascending; `tmp.len() == keys.len()` is working space.
///
/// An LSD radix sort over the bits in which the keys differ: one read pass
/// ORs `key ^ keys[0]`, whose lowest and highest set bits bound the varying
/// bits `v`; those are cut into `ceil(v / 12)` equal digits (a bucket of a
/// sample sort, whose keys share their high bits, or floats of 32-bit
/// precision, whose low mantissa bits are all zero, need fewer passes than
/// the 6 of a full u64). One more read pass counts every digit; a digit that
/// all keys share is skipped. The passes ping-pong between `keys` and `tmp`;
/// an odd number of passes ends with one copy back.
pub fn sort_keys<K: Key>(keys: &mut [K], tmp: &mut [K]) {
    if !radix_sort(keys, tmp) {
        keys.copy_from_slice(tmp);
    }
}

/// [`sort_keys`] without its copy back: whether the sorted keys are in
/// `keys` (true) or in `tmp` (false: an odd number of radix passes).
fn radix_sort<K: Key>(keys: &mut [K], tmp: &mut [K]) -> bool {
    let n = keys.len();
    if n < 2 * RADIX_FROM_PER_PASS {
        keys.sort_unstable();
        return true;
    }
    let first = keys[0].wide();
    let diff = keys.iter().fold(0u64, |d, k| d | (k.wide() ^ first));
    if diff == 0 {
        return true; // all equal
    }
    let lo = diff.trailing_zeros();
    let varying = 64 - diff.leading_zeros() - lo;
    let passes = varying.div_ceil(DIGIT);
    if n < RADIX_FROM_PER_PASS * passes as usize {
        keys.sort_unstable();
        return true;
    }
    let width = varying.div_ceil(passes);
    let mask = (1u64 << width) - 1;
    let shifts: [u32; 6] = std::array::from_fn(|p| lo + width * p as u32);
    let passes = passes as usize;
    let buckets = 1usize << width;
    // 6 * 4096 counters: 96 KiB of stack in wasm; only `buckets` of each zeroed.
    let mut hist = [[0u32; BUCKETS]; 6];
    for h in hist.iter_mut().take(passes) {
        h[..buckets].fill(0);
    }
    // `digit` masks with BUCKETS - 1 too: the index is then provably in
    // bounds, and wasm has no bounds check to run per key.
    let digit = move |k: u64, shift: u32| ((k >> shift) & mask) as usize & (BUCKETS - 1);
    for &k in keys.iter() {
        let k = k.wide();
        for (h, &s) in hist.iter_mut().zip(&shifts).take(passes) {
            h[digit(k, s)] += 1;
        }
    }
    let mut in_keys = true;
    for (h, &shift) in hist.iter_mut().zip(&shifts).take(passes) {
        if h[digit(first, shift)] as usize == n {
            continue;
        }
        let mut sum = 0u32;
        for c in h[..buckets].iter_mut() {
            let t = *c;
            *c = sum;
            sum += t;
        }
        if in_keys {
            scatter(keys, tmp, h, |k| digit(k, shift));
        } else {
            scatter(tmp, keys, h, |k| digit(k, shift));
        }
        in_keys = !in_keys;
    }
    in_keys
}

#[inline(always)]
fn scatter<K: Key>(
    src: &[K],
    dst: &mut [K],
    offsets: &mut [u32; BUCKETS],
    digit: impl Fn(u64) -> usize,
) {
    for &k in src {
        let d = digit(k.wide());
        dst[offsets[d] as usize] = k;
        offsets[d] += 1;
    }
}

/// Most buckets a sample-sort partition takes (bucket numbers fit a u16).
pub const MAX_BUCKETS: usize = 1 << 16;

/// Cells of the classification table per bucket.
const CELLS_PER_BUCKET: usize = 8;
/// Sentinels (u64::MAX) after the splitters: every cell's `next` exists.
const PAD: usize = 1;

/// Working space of [`partition`], kept per instance
/// (src/bindings/sort.rs) so that no chunk allocates once it has grown.
#[derive(Default)]
pub struct Scratch {
    /// The splitters' keys, as u64, ascending, then PAD sentinels.
    splitters: Vec<u64>,
    /// Per cell: the first bucket a key of the cell can be in, how many
    /// splitters after it still have to be compared, and the first of them.
    cells: Vec<Cell>,
    /// The cell of value `v` is `(v - origin) * scale`, at most `last` (`cell_of`).
    origin: f64,
    scale: f64,
    /// Each element's bucket number.
    oracle: Vec<u16>,
    /// Per-bucket write positions.
    pos: Vec<usize>,
}

/// A cell of the classification table (see [`Scratch::set_splitters`]).
#[derive(Clone, Copy, Default)]
struct Cell {
    /// The key of splitter `first` (a sentinel, u64::MAX, past the last):
    /// the one splitter to compare when `more <= 1`, in the same cache line.
    next: u64,
    first: u32,
    more: u32,
}

/// The cell of value `v`: monotone in JS order for a finite `origin` and a
/// finite positive `scale` (IEEE subtraction, multiplication and the
/// conversion round monotonically; `-Infinity` and values below `origin`
/// give 0; NaN, which fails `c < last`, and `+Infinity` give `last`).
#[inline(always)]
fn cell_of(v: f64, origin: f64, scale: f64, last: f64) -> usize {
    let c = (v - origin) * scale;
    (if c < last { c } else { last }) as usize
}

/// How many of the sorted `s` are below `k`: a binary search whose steps
/// are conditional moves, not branches (the step count depends on `s.len()`
/// only).
#[inline(always)]
fn count_below(s: &[u64], k: u64) -> usize {
    let mut base = 0;
    let mut n = s.len();
    if n == 0 {
        return 0;
    }
    // The count is in [base, base + n].
    while n > 1 {
        let half = n / 2;
        if s[base + half - 1] < k {
            base += half;
        }
        n -= half;
    }
    base + usize::from(s[base] < k)
}

impl Scratch {
    /// Sets the splitters of [`partition`]: sorted in JS order, one fewer
    /// than the buckets, whose count is a power of two from 2 to
    /// [`MAX_BUCKETS`]. Bucket `b` holds the elements whose key is above
    /// that of `splitters[b-1]` and at most that of `splitters[b]`: its
    /// number is how many splitters are below the key.
    ///
    /// A key's bucket is found through a table of `8 * buckets` cells
    /// linear in the value between the smallest and the largest finite
    /// splitter: each cell knows the first bucket its keys can be in and how
    /// many splitters after it fall into the cell, which a short binary
    /// search compares (usually none or one for data of a smooth
    /// distribution: then one compare with the cell's copy of the next
    /// splitter, no branch; all of them, in log2(buckets) steps, if the
    /// splitters are all equal or not finite: then there is one cell).
    /// Measured in wasm on 1e7 doubles, 256 buckets, medians of 9, against
    /// the search alone, interleaved: 56-73 against 82-88 ms. Exact whatever the
    /// cells: a monotone cell function bounds the count (a splitter in a
    /// lower cell is below the key, one in a higher cell is not).
    pub fn set_splitters<T: Sortable>(&mut self, splitters: &[T]) -> Result<()> {
        let buckets = splitters.len() + 1;
        if !buckets.is_power_of_two() || !(2..=MAX_BUCKETS).contains(&buckets) {
            return Err(Error::OutOfRange {
                what: "splitters",
                detail: format!(
                    "{} of them: one less than a power of two from 2 to {MAX_BUCKETS} expected",
                    splitters.len()
                ),
            });
        }
        if splitters.windows(2).any(|w| w[0].key() > w[1].key()) {
            return Err(Error::OutOfRange {
                what: "splitters",
                detail: "not sorted".into(),
            });
        }
        self.splitters.clear();
        self.splitters
            .extend(splitters.iter().map(|v| v.key().wide()));
        self.splitters.extend([u64::MAX; PAD]);
        let finite = || {
            splitters
                .iter()
                .map(|v| v.to_f64())
                .filter(|v| v.is_finite())
        };
        let (lo, hi) = (finite().next(), finite().last());
        let mut cells = 1;
        (self.origin, self.scale) = (0.0, 0.0);
        if let (Some(lo), Some(hi)) = (lo, hi) {
            let scale = (CELLS_PER_BUCKET * buckets) as f64 / (hi - lo);
            if scale.is_finite() && scale > 0.0 {
                (self.origin, self.scale) = (lo, scale);
                cells = CELLS_PER_BUCKET * buckets + 1;
            }
        }
        // With one cell (scale 0), every value's cell is 0: `last` is 0.
        let last = (cells - 1) as f64;
        // first[c]: how many splitters lie in cells below c.
        self.cells.clear();
        self.cells.resize(cells, Cell::default());
        let first = &mut self.pos;
        first.clear();
        first.resize(cells + 1, 0);
        for v in splitters {
            first[cell_of(v.to_f64(), self.origin, self.scale, last) + 1] += 1;
        }
        for c in 0..cells {
            first[c + 1] += first[c];
        }
        for (c, e) in self.cells.iter_mut().enumerate() {
            *e = Cell {
                next: self.splitters[first[c]],
                first: first[c] as u32,
                more: (first[c + 1] - first[c]) as u32,
            };
        }
        Ok(())
    }
}

/// The first pass of a sample sort, on one chunk, with the splitters of
/// [`Scratch::set_splitters`]: `counts[b]` becomes the number of elements of
/// `x` in bucket `b`, and `out` the keys of `x` (see [`Sortable`]) grouped
/// by bucket, in bucket order (within a bucket, in the order of `x`).
pub fn partition<T: Sortable>(
    x: &[T],
    out: &mut [T::K],
    counts: &mut [u32],
    scratch: &mut Scratch,
) -> Result<()> {
    let n = x.len();
    if scratch.cells.is_empty() {
        return Err(Error::OutOfRange {
            what: "splitters",
            detail: "none set (set_splitters first)".into(),
        });
    }
    let buckets = scratch.splitters.len() - PAD + 1;
    if out.len() != n {
        return Err(Error::LengthMismatch {
            what: "out",
            expected: n,
            actual: out.len(),
        });
    }
    if counts.len() != buckets {
        return Err(Error::LengthMismatch {
            what: "counts",
            expected: buckets,
            actual: counts.len(),
        });
    }
    let (splitters, cells) = (&scratch.splitters[..], &scratch.cells[..]);
    let (origin, scale, last) = (scratch.origin, scratch.scale, (cells.len() - 1) as f64);
    let oracle = &mut scratch.oracle;
    oracle.clear();
    oracle.resize(n, 0);
    counts.fill(0);
    for (xv, o) in x.iter().zip(oracle.iter_mut()) {
        let cell = cells[cell_of(xv.to_f64(), origin, scale, last)];
        let (first, more) = (cell.first as usize, cell.more as usize);
        let k = xv.key().wide();
        // Splitters in later cells are above every key of this one (the
        // cells are monotone), so comparing `next` counts right whether the
        // cell has one splitter or none: no branch for the usual cells.
        let b = if more <= 1 {
            first + usize::from(cell.next < k)
        } else {
            first + count_below(&splitters[first..first + more], k)
        };
        *o = b as u16;
        counts[b] += 1;
    }
    let pos = &mut scratch.pos;
    pos.clear();
    let mut sum = 0usize;
    pos.extend(counts.iter().map(|&c| {
        let p = sum;
        sum += c as usize;
        p
    }));
    for (xv, &b) in x.iter().zip(oracle.iter()) {
        let p = &mut pos[b as usize];
        out[*p] = xv.key();
        *p += 1;
    }
    Ok(())
}

/// The second pass of a sample sort, on a run of consecutive buckets:
/// `keys` holds them one after another, bucket `b` with `sizes[b]` keys (in
/// any order: js/kernels/sort.js gathers each bucket's parts from every
/// first-pass chunk). `out` becomes the sorted elements (in JS order, NaNs
/// canonical) and `keys` is left unspecified. Each bucket is sorted with
/// `out` as working space, and made elements from wherever its last radix
/// pass left it: no copy back.
pub fn sort_buckets<T: Sortable>(keys: &mut [T::K], sizes: &[u32], out: &mut [T]) -> Result<()> {
    let n = keys.len();
    let total: usize = sizes.iter().map(|&c| c as usize).sum();
    if total != n {
        return Err(Error::LengthMismatch {
            what: "keys",
            expected: total,
            actual: n,
        });
    }
    if out.len() != n {
        return Err(Error::LengthMismatch {
            what: "out",
            expected: n,
            actual: out.len(),
        });
    }
    let outk: &mut [T::K] = bytemuck::cast_slice_mut(out);
    let mut start = 0;
    for &size in sizes {
        let r = start..start + size as usize;
        let (k, o) = (&mut keys[r.clone()], &mut outk[r]);
        if radix_sort(k, o) {
            for (o, &k) in o.iter_mut().zip(k.iter()) {
                *o = T::bits_of_key(k);
            }
        } else {
            for o in o.iter_mut() {
                *o = T::bits_of_key(*o);
            }
        }
        start += size as usize;
    }
    Ok(())
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

    /// Keys that differ only in chosen bits: the top bit, the lowest, one
    /// digit's width, digit boundaries, and all of them.
    #[test]
    fn sort_keys_over_varying_bits() {
        let mut rng = Rng::new(14);
        let masks: &[u64] = &[
            1 << 63,
            1,
            0x7ff,
            0xfff,
            0x1fff,
            0xff_ffff,
            0x1ff_ffff,
            0x7ff << 11,
            0x3f_ffff,
            0xffff_ffff << 16,
            (1 << 63) | 1,
            u64::MAX,
        ];
        for &n in &[
            0, 1, 2, 255, 511, 512, 767, 768, 1000, 1535, 1536, 4097, 70_001,
        ] {
            for &m in masks {
                let base = rng.next_u64() & !m;
                let mut v: Vec<u64> = (0..n).map(|_| base | (rng.next_u64() & m)).collect();
                let mut want = v.clone();
                want.sort();
                let mut tmp = vec![0; n];
                sort_keys(&mut v, &mut tmp);
                assert_eq!(v, want, "u64 n={n} mask={m:#x}");
                let m32 = m as u32 | 1;
                let mut w: Vec<u32> = (0..n)
                    .map(|_| (base as u32 & !m32) | (rng.next_u64() as u32 & m32))
                    .collect();
                let mut want = w.clone();
                want.sort();
                let mut tmp = vec![0; n];
                sort_keys(&mut w, &mut tmp);
                assert_eq!(w, want, "u32 n={n} mask={m32:#x}");
            }
        }
        let mut ends = vec![u64::MAX, 0, u64::MAX, 0, 1 << 63];
        ends.extend((0..300u64).map(|i| i.wrapping_mul(0x0101_0101_0101_0101)));
        let mut want = ends.clone();
        want.sort();
        let mut tmp = vec![0; ends.len()];
        sort_keys(&mut ends, &mut tmp);
        assert_eq!(ends, want);
    }

    /// The sample sort of js/kernels/sort.js, sequentially and readably:
    /// splitters from the sorted data (every n/buckets-th), then partition
    /// chunks of `grain`, then runs of `group` buckets gathered from every
    /// chunk and sorted with `sort_buckets`.
    fn sample_sorted(x: &[f64], grain: usize, buckets: usize, group: usize) -> Vec<f64> {
        let n = x.len();
        let sorted = sorted64(x);
        let splitters: Vec<f64> = (1..buckets)
            .map(|i| sorted.get(i * n / buckets).copied().unwrap_or(0.0))
            .collect();
        let mut sc = Scratch::default();
        sc.set_splitters(&splitters).unwrap();
        let mut a = vec![0u64; n];
        let mut counts: Vec<Vec<u32>> = Vec::new();
        for (xc, ac) in x.chunks(grain).zip(a.chunks_mut(grain)) {
            let mut c = vec![0; buckets];
            partition(xc, ac, &mut c, &mut sc).unwrap();
            // Every key of bucket b is within its splitters.
            let mut at = 0;
            for (b, &cnt) in c.iter().enumerate() {
                for &k in &ac[at..at + cnt as usize] {
                    assert!(
                        b == 0 || k > splitters[b - 1].key(),
                        "bucket {b} above its lower splitter"
                    );
                    assert!(
                        b == buckets - 1 || k <= splitters[b].key(),
                        "bucket {b} at most its upper splitter"
                    );
                }
                at += cnt as usize;
            }
            counts.push(c);
        }
        let mut out = Vec::new();
        for s in (0..buckets).step_by(group) {
            let t = (s + group).min(buckets);
            let (mut keys, sizes) = gather(&a, &counts, grain, s, t);
            let mut part = vec![0.0; keys.len()];
            sort_buckets::<f64>(&mut keys, &sizes, &mut part).unwrap();
            out.extend(part);
        }
        out
    }

    /// Buckets `[s, t)` one after another, each from its parts in every
    /// chunk of `grain` of `a` (`counts[chunk][bucket]`), as
    /// js/kernels/sort.js gathers them; and their sizes.
    pub(super) fn gather<K: Copy>(
        a: &[K],
        counts: &[Vec<u32>],
        grain: usize,
        s: usize,
        t: usize,
    ) -> (Vec<K>, Vec<u32>) {
        let mut keys = Vec::new();
        let mut sizes = vec![0; t - s];
        for b in s..t {
            for (i, c) in counts.iter().enumerate() {
                let from = i * grain + c[..b].iter().map(|&v| v as usize).sum::<usize>();
                keys.extend_from_slice(&a[from..from + c[b] as usize]);
                sizes[b - s] += c[b];
            }
        }
        (keys, sizes)
    }

    #[test]
    fn count_below_matches_a_count() {
        for len in 0..20u64 {
            let s: Vec<u64> = (0..len).map(|i| i / 3 * 2).collect(); // duplicates, gaps
            for k in 0..=len + 1 {
                assert_eq!(
                    count_below(&s, k),
                    s.iter().filter(|&&v| v < k).count(),
                    "len={len} k={k}"
                );
            }
        }
    }

    #[test]
    fn cells_are_monotone_at_the_edges() {
        let (origin, scale, last) = (-1.0, 3.5, 7.0);
        let vs = [
            f64::NEG_INFINITY,
            f64::MIN,
            -1.0,
            -0.0,
            0.0,
            1e-300,
            1.0,
            2.0,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
        ];
        let cells: Vec<usize> = vs
            .iter()
            .map(|&v| cell_of(v, origin, scale, last))
            .collect();
        assert!(cells.windows(2).all(|w| w[0] <= w[1]), "{cells:?}");
        assert_eq!((cells[0], *cells.last().unwrap()), (0, 7));
    }

    #[test]
    fn sample_sort_matches_reference() {
        let mut rng = Rng::new(13);
        for &(grain, buckets, group) in &[
            (4, 2, 1),
            (8, 4, 3),
            (64, 16, 16),
            (1000, 64, 5),
            (4096, 256, 7),
        ] {
            for &n in &[
                0,
                1,
                2,
                3,
                7,
                8,
                9,
                17,
                63,
                64,
                65,
                333,
                4095,
                4096,
                4097,
                5 * 1000 + 1,
                20_011,
            ] {
                for kind in 0..8 {
                    let x = match kind {
                        // all equal: one bucket holds everything
                        5 => vec![-0.0; n],
                        // no finite splitter: the table is one cell
                        6 => (0..n)
                            .map(|i| [f64::INFINITY, f64::NEG_INFINITY, -f64::NAN][i % 3])
                            .collect(),
                        // a tight cluster and huge outliers: the cluster's
                        // splitters share a cell
                        7 => (0..n)
                            .map(|i| {
                                if i % 97 == 0 {
                                    rng.f64() * 1e300
                                } else {
                                    1.0 + rng.f64() * 1e-12
                                }
                            })
                            .collect(),
                        _ => data64(&mut rng, n, kind),
                    };
                    let got = sample_sorted(&x, grain, buckets, group);
                    assert!(
                        same64(&got, &sorted64(&x)),
                        "grain={grain} buckets={buckets} group={group} n={n} kind={kind}"
                    );
                    assert!(
                        got.iter()
                            .filter(|v| v.is_nan())
                            .all(|v| v.to_bits() == f64::NAN.to_bits()),
                        "NaNs canonical"
                    );
                }
            }
        }
    }

    #[test]
    fn sample_sort_f32_i32_u32() {
        let mut rng = Rng::new(15);
        for &n in &[0, 1, 9, 1000, 20_000] {
            let f: Vec<f32> = (0..n)
                .map(|i| match i % 9 {
                    0 => f32::NAN,
                    1 => -0.0,
                    2 => 0.0,
                    3 => f32::NEG_INFINITY,
                    4 => f32::from_bits(0xff80_0001),
                    _ => (rng.f64() * 10.0) as f32,
                })
                .collect();
            let mut want = f.clone();
            want.sort_by(js_cmp32);
            let mut got = generic_sample_sort(&f, 512, 32);
            assert!(same32(&got, &want), "f32 n={n}");
            let ints: Vec<i32> = (0..n)
                .map(|_| rng.next_u64() as i32 >> (rng.next_u64() % 31))
                .collect();
            let mut want = ints.clone();
            want.sort();
            assert_eq!(generic_sample_sort(&ints, 700, 8), want, "i32 n={n}");
            let uints: Vec<u32> = (0..n).map(|_| (rng.next_u64() % 5000) as u32).collect();
            let mut want = uints.clone();
            want.sort();
            assert_eq!(generic_sample_sort(&uints, 300, 4), want, "u32 n={n}");
            got.clear();
        }
    }

    /// One bucket group over everything; splitters from a sorted copy.
    fn generic_sample_sort<T: Sortable>(x: &[T], grain: usize, buckets: usize) -> Vec<T> {
        let n = x.len();
        let mut keys: Vec<T::K> = x.iter().map(|v| v.key()).collect();
        let mut tmp = keys.clone();
        sort_keys(&mut keys, &mut tmp);
        let splitters: Vec<T> = (1..buckets)
            .map(|i| {
                bytemuck::cast(T::bits_of_key(
                    keys.get(i * n / buckets)
                        .copied()
                        .unwrap_or_else(bytemuck::Zeroable::zeroed),
                ))
            })
            .collect();
        let mut sc = Scratch::default();
        sc.set_splitters(&splitters).unwrap();
        let mut a: Vec<T::K> = vec![bytemuck::Zeroable::zeroed(); n];
        let mut counts = Vec::new();
        for (xc, ac) in x.chunks(grain).zip(a.chunks_mut(grain)) {
            let mut c = vec![0; buckets];
            partition(xc, ac, &mut c, &mut sc).unwrap();
            counts.push(c);
        }
        let (mut keys, sizes) = gather(&a, &counts, grain, 0, buckets);
        let mut out: Vec<T> = vec![bytemuck::Zeroable::zeroed(); n];
        sort_buckets(&mut keys, &sizes, &mut out).unwrap();
        out
    }

    #[test]
    fn sample_sort_rejects_bad_arguments() {
        let mut sc = Scratch::default();
        let mut out = [0u64; 3];
        let mut counts = [0u32; 4];
        assert!(
            partition(&[1.0f64, 2.0, 3.0], &mut out, &mut counts, &mut sc).is_err(),
            "no splitters set"
        );
        assert!(sc.set_splitters::<f64>(&[]).is_err(), "1 bucket");
        assert!(sc.set_splitters(&[1.0f64, 2.0]).is_err(), "3 buckets");
        assert!(sc.set_splitters(&[3.0f64, 2.0, 1.0]).is_err(), "unsorted");
        assert!(
            sc.set_splitters(&[1.0f64, 2.0, f64::NAN]).is_ok(),
            "NaN sorts last"
        );
        partition(&[f64::NAN, 2.0, -0.0], &mut out, &mut counts, &mut sc).unwrap();
        assert_eq!(counts, [1, 1, 1, 0]);
        assert!(
            partition(&[1.0f64, 2.0], &mut out, &mut counts, &mut sc).is_err(),
            "out length"
        );
        assert!(
            partition(&[1.0f64, 2.0, 3.0], &mut out, &mut counts[..2], &mut sc).is_err(),
            "counts length"
        );
        let mut keys = [0u64; 3];
        let mut o = [0.0f64; 3];
        assert!(
            sort_buckets::<f64>(&mut keys, &[1, 1], &mut o).is_err(),
            "sizes sum"
        );
        assert!(
            sort_buckets::<f64>(&mut keys, &[2, 1], &mut o[..2]).is_err(),
            "out length"
        );
        sort_buckets::<f64>(&mut [], &[], &mut []).unwrap();
        sort_buckets::<f64>(&mut [], &[0, 0], &mut []).unwrap();
    }
}

#[cfg(test)]
mod timing {
    //! Where the sample sort's kernels spend their time on 1e7 doubles, by
    //! bucket size (a measurement, nothing asserted): natively with `cargo
    //! test --release --lib timing -- --ignored --nocapture`, in wasm with
    //! `node scripts/wasi-test.js simd128 -- timing --ignored` (add `lcg`
    //! for the benchmark's doubles of 32-bit precision).
    use super::*;
    use crate::kernels::testutil::Rng;
    use std::time::Instant;

    fn best(reps: usize, mut f: impl FnMut()) -> f64 {
        (0..reps)
            .map(|_| {
                let t0 = Instant::now();
                f();
                t0.elapsed().as_secs_f64() * 1e3
            })
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    #[ignore]
    fn timing() {
        let n = 10_000_000usize;
        let mut rng = Rng::new(5);
        let lcg = std::env::args().any(|a| a == "lcg");
        // Full 53-bit doubles (numpy's rng.random), or the bench's 32-bit LCG ones.
        let data: Vec<f64> = (0..n)
            .map(|_| {
                if lcg {
                    (rng.next_u64() >> 32) as f64 / 2f64.powi(32) - 0.5
                } else {
                    rng.f64()
                }
            })
            .collect();
        let grain = 1 << 18;
        let sources = n.div_ceil(grain);
        let mut sc = Scratch::default();
        let mut a = vec![1u64; n];
        let mut keys = vec![1u64; n];
        let mut out = vec![1f64; n];
        for &bucket_bits in &[12u32, 13, 14, 15, 16] {
            let buckets = (n >> bucket_bits).next_power_of_two();
            let mut sample: Vec<f64> = (0..buckets * 16)
                .map(|i| data[(i * 7919 + 13) % n])
                .collect();
            sample.sort_by(|a, b| a.total_cmp(b));
            let splitters: Vec<f64> = (1..buckets).map(|i| sample[i * 16]).collect();
            sc.set_splitters(&splitters).unwrap();
            let mut counts = vec![0u32; buckets * sources];
            let tp = best(3, || {
                for (c, (x, o)) in data.chunks(grain).zip(a.chunks_mut(grain)).enumerate() {
                    partition(x, o, &mut counts[c * buckets..(c + 1) * buckets], &mut sc).unwrap();
                }
            });
            let rows: Vec<Vec<u32>> = counts.chunks(buckets).map(|c| c.to_vec()).collect();
            let (g, sizes) = super::tests::gather(&a, &rows, grain, 0, buckets);
            let ts = best(3, || {
                keys.copy_from_slice(&g);
                sort_buckets(&mut keys, &sizes, &mut out).unwrap();
            });
            let tc = best(3, || keys.copy_from_slice(&g));
            assert!(out.windows(2).all(|w| w[0] <= w[1]));
            println!("bucket ~2^{bucket_bits} ({buckets} buckets): partition {tp:.1} ms, sort_buckets {:.1} ms", ts - tc);
        }
        let mut x = data.clone();
        let mut tmp = vec![0f64; n];
        let t = best(3, || {
            x.copy_from_slice(&data);
            sort(&mut x, &mut tmp).unwrap()
        });
        println!("whole radix sort {t:.1} ms");
        let t = best(3, || {
            x.copy_from_slice(&data);
            x.sort_unstable_by(|a, b| a.total_cmp(b))
        });
        println!("sort_unstable_by {t:.1} ms");
    }
}
