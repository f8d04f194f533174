//! Reductions: each chunk returns a partial that the JS side merges in chunk
//! order, so a result never depends on how many threads ran it.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Neumaier's compensated sum (Kahan-Babuska). Chosen over plain or pairwise
/// summation because its error bound does not grow with `n`: the sum of a
/// million values is as exact as the sum of ten. The pair `(sum, comp)` is
/// also what a chunk of `sum` or `dot` returns (to JS as `{ sum, comp }`):
/// the rounded result is `sum + comp`, and it is taken only once, after every
/// chunk's pair has been merged (`merge`, mirrored by js/chunks.js
/// `compensatedSum`). Rounding each chunk's result before the merge would
/// drop its correction: with `1e17, 1` in one chunk and `-1e17` in the next,
/// each chunk rounds to `±1e17` and the total to 0 instead of 1; in general
/// it adds `u |chunk sum|` per chunk, unbounded against the final `|S|`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Neumaier {
    pub sum: f64,
    pub comp: f64,
}

impl Neumaier {
    #[inline(always)]
    pub fn add(&mut self, v: f64) {
        let t = self.sum + v;
        if self.sum.abs() >= v.abs() {
            self.comp += (self.sum - t) + v;
        } else {
            self.comp += (v - t) + self.sum;
        }
        self.sum = t;
    }

    /// Adds another compensated sum (a lane's, a chunk's): its running sum
    /// with the compensated step, its correction straight into ours, so the
    /// correction survives. The result is a compensated sum of all the terms
    /// of both, with Neumaier's error bound for all `n` of them together:
    /// `|value - S| <= u|S| + γ(n-1)² Σ|x_i|`, `γ(k) = ku / (1 - ku)` (Ogita,
    /// Rump & Oishi, "Accurate sum and dot product", 2005, Prop. 4.5). Their
    /// proof needs only that every rounding error of a running sum is kept
    /// exactly and that the corrections are one more floating-point sum of
    /// at most `n` terms, which stays true of any tree of lanes and chunks
    /// merged this way.
    #[inline(always)]
    pub fn merge(&mut self, o: &Neumaier) {
        self.add(o.sum);
        self.comp += o.comp;
    }

    /// The compensated total. When the running sum is not finite (an
    /// infinite input or an overflow) the compensation is `inf - inf = NaN`,
    /// so the plain sum is returned instead: it is then the IEEE answer
    /// (`Infinity`, or NaN for `Infinity - Infinity` or a NaN input).
    pub fn value(&self) -> f64 {
        if self.sum.is_finite() {
            self.sum + self.comp
        } else {
            self.sum
        }
    }
}

/// Compensated sum of an f64 or f32 slice (f32 is widened to f64), by
/// `Lanes`: Neumaier's error bound at twice the speed of the scalar
/// `Neumaier` loop (measured: 0.24 ms vs 0.50 ms for 2^18 f64 in wasm).
/// Returns the unrounded pair (a chunk's partial); `.value()` rounds it.
pub fn sum<T: Copy + Into<f64>>(x: &[T]) -> Neumaier {
    Lanes::sum_of(x.len(), |i| x[i].into())
}

/// Neumaier summation in 8 independent lanes: element `i` goes to lane
/// `i % 8`, each lane keeps its own running sum and compensation, and the
/// lanes are merged in a fixed order at the end. The per-element step is
/// Knuth's branch-free TwoSum (6 flops: the exact rounding error of `s + v`
/// whatever the magnitudes), so the lanes run as independent f64x2 chains.
///
/// Why: scalar Neumaier (`Neumaier` above) is one serial dependency chain
/// with a data-dependent branch. Measured in the +simd128 build, 2^18 f64 in
/// wasm memory, one thread: scalar Neumaier sum 0.50 ms, this 0.24 ms. It
/// keeps the same error bound (each lane is a compensated sum, and the lanes
/// merge with `Neumaier::merge`, corrections kept), and an element's lane is
/// a function of its index in the chunk only, so a result is bit-identical
/// whatever the thread count.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lanes {
    sum: [f64; LANES],
    comp: [f64; LANES],
}

/// Lanes of `Lanes`: 4 f64x2 vectors, enough independent chains to hide the
/// latency of the adds.
pub const LANES: usize = 8;

impl Lanes {
    #[inline(always)]
    #[allow(clippy::needless_range_loop)] // three arrays in lockstep
    pub fn add8(&mut self, v: [f64; LANES]) {
        for j in 0..LANES {
            let s = self.sum[j];
            let t = s + v[j];
            let z = t - s;
            self.comp[j] += (s - (t - z)) + (v[j] - z);
            self.sum[j] = t;
        }
    }

    /// Adds `v` to lane `j` (for the tail of a slice).
    #[inline(always)]
    pub fn add_at(&mut self, j: usize, v: f64) {
        let s = self.sum[j];
        let t = s + v;
        let z = t - s;
        self.comp[j] += (s - (t - z)) + (v - z);
        self.sum[j] = t;
    }

    /// Merges the lanes, in lane order, into one compensated pair: each
    /// lane's correction is kept in the pair's, not rounded in.
    pub fn total(&self) -> Neumaier {
        let mut acc = Neumaier::default();
        for j in 0..LANES {
            acc.merge(&Neumaier {
                sum: self.sum[j],
                comp: self.comp[j],
            });
        }
        acc
    }

    /// Compensated sum of `f(i)` for `i` in `0..n`, element `i` in lane `i % 8`.
    #[inline(always)]
    pub fn sum_of(n: usize, f: impl Fn(usize) -> f64) -> Neumaier {
        let mut acc = Lanes::default();
        let body = n - n % LANES;
        let mut i = 0;
        while i < body {
            acc.add8(std::array::from_fn(|j| f(i + j)));
            i += LANES;
        }
        for i in body..n {
            acc.add_at(i - body, f(i));
        }
        acc.total()
    }
}

/// `Σ x[i] * y[i]`, with the products formed in f64 and summed by `Lanes`.
///
/// For f32 inputs each product of two widened f32 values is exact in f64
/// (24 + 24 significant bits <= 53), so the only rounding errors are the
/// compensated summation's: the result is as accurate as if computed in
/// twice f64's precision and then rounded. For f64 inputs each product is
/// rounded once (no TwoProduct: wasm has no fused multiply-add, see
/// `map::axpby`), so the error is at most about `2^-53 Σ|x[i] y[i]|` plus the
/// final rounding, like a BLAS dot, while the summation itself adds none.
///
/// Summation choice, measured in the +simd128 build on 2^18 f64 pairs in
/// wasm memory (one thread): the plain `Σ x*y` loop 0.33 ms (LLVM may not
/// reassociate float adds, so it is one serial chain too), scalar Neumaier
/// 0.49 ms, this 8-lane Neumaier 0.35 ms: compensated at the cost of the
/// plain loop. Pairwise summation would cost about the same but its error
/// still grows with log n. f32 pairs: 0.48 ms (the widening costs).
/// Deterministic: an element's lane is its index mod 8 within the chunk, and
/// the JS side merges chunk partials in chunk order, so the thread count
/// never changes a bit. Returns the unrounded pair, like `sum`.
pub fn dot<T: Copy + Into<f64>>(x: &[T], y: &[T]) -> Result<Neumaier> {
    if x.len() != y.len() {
        return Err(Error::LengthMismatch {
            what: "y",
            expected: x.len(),
            actual: y.len(),
        });
    }
    Ok(Lanes::sum_of(x.len(), |i| x[i].into() * y[i].into()))
}

/// `Math.min` of the two: NaN if either is NaN, and `-0 < +0`.
#[inline(always)]
pub fn js_min(a: f64, b: f64) -> f64 {
    if a < b {
        a
    } else if b < a {
        b
    } else if a == b {
        // Equal: the same bits, or +0 and -0, where OR of the bits is -0.
        f64::from_bits(a.to_bits() | b.to_bits())
    } else {
        f64::NAN
    }
}

/// `Math.max` of the two: NaN if either is NaN, and `+0 > -0`.
#[inline(always)]
pub fn js_max(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else if b > a {
        b
    } else if a == b {
        // AND of the bits of +0 and -0 is +0.
        f64::from_bits(a.to_bits() & b.to_bits())
    } else {
        f64::NAN
    }
}

/// The smallest element, with `Math.min`'s rules: any NaN gives NaN, `-0`
/// is below `+0`, and an empty slice gives `+Infinity` (the identity, so
/// empty chunks merge away and `min([])` is `Math.min()`).
pub fn min<T: MinMax>(x: &[T]) -> f64 {
    T::min_of(x)
}

/// The largest element: any NaN gives NaN, `+0` is above `-0`, and an empty
/// slice gives `-Infinity` (like `Math.max()`).
pub fn max<T: MinMax>(x: &[T]) -> f64 {
    T::max_of(x)
}

/// f32 and f64 slices' min/max: the one place that picks the explicit
/// simd128 variant (wasm32 with simd128, unless `--cfg sabre_no_simd`) or the
/// portable fold.
pub trait MinMax: Copy + Into<f64> {
    fn min_of(x: &[Self]) -> f64;
    fn max_of(x: &[Self]) -> f64;
}

macro_rules! impl_min_max {
    ($t:ty, $simd:ident) => {
        impl MinMax for $t {
            fn min_of(x: &[Self]) -> f64 {
                #[cfg(all(
                    target_arch = "wasm32",
                    target_feature = "simd128",
                    not(sabre_no_simd)
                ))]
                return simd128::$simd::min(x);
                #[allow(unreachable_code)]
                x.iter().fold(f64::INFINITY, |m, &v| js_min(m, v.into()))
            }
            fn max_of(x: &[Self]) -> f64 {
                #[cfg(all(
                    target_arch = "wasm32",
                    target_feature = "simd128",
                    not(sabre_no_simd)
                ))]
                return simd128::$simd::max(x);
                #[allow(unreachable_code)]
                x.iter()
                    .fold(f64::NEG_INFINITY, |m, &v| js_max(m, v.into()))
            }
        }
    };
}
impl_min_max!(f32, f32s);
impl_min_max!(f64, f64s);

/// Explicit simd128 min/max. Wasm's `f32x4.min`/`f64x2.min` (and `max`) have
/// exactly `Math.min`/`Math.max`'s rules (NaN propagates, `-0 < +0`), which
/// LLVM cannot derive from the portable fold, so this is where SIMD pays.
/// Four accumulators hide the latency; `v128_load` has no alignment
/// requirement, and every pointer comes from a 16-byte `chunks_exact` piece.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128", not(sabre_no_simd)))]
mod simd128 {
    use super::{js_max, js_min};
    use core::arch::wasm32::*;

    macro_rules! simd_min_max {
        ($m:ident, $t:ty, $lanes:expr, $splat:ident, $min:ident, $max:ident, $ext:ident) => {
            pub mod $m {
                use super::*;
                const L: usize = $lanes;

                #[inline(always)]
                fn fold(
                    x: &[$t],
                    init: $t,
                    op: impl Fn(v128, v128) -> v128,
                    scalar: impl Fn(f64, f64) -> f64,
                ) -> f64 {
                    let mut acc = [$splat(init); 4];
                    let mut it = x.chunks_exact(4 * L);
                    for c in &mut it {
                        for k in 0..4 {
                            // SAFETY: `c` holds 4 * 16 bytes; piece k is in bounds.
                            let v = unsafe { v128_load(c[k * L..].as_ptr() as *const v128) };
                            acc[k] = op(acc[k], v);
                        }
                    }
                    let v = op(op(acc[0], acc[1]), op(acc[2], acc[3]));
                    let mut m = init as f64;
                    for j in 0..L {
                        m = scalar(m, $ext(v, j) as f64);
                    }
                    it.remainder().iter().fold(m, |m, &e| scalar(m, e as f64))
                }

                pub fn min(x: &[$t]) -> f64 {
                    fold(x, <$t>::INFINITY, |a, b| $min(a, b), js_min)
                }
                pub fn max(x: &[$t]) -> f64 {
                    fold(x, <$t>::NEG_INFINITY, |a, b| $max(a, b), js_max)
                }
            }
        };
    }

    #[inline(always)]
    fn ext32(v: v128, j: usize) -> f32 {
        match j {
            0 => f32x4_extract_lane::<0>(v),
            1 => f32x4_extract_lane::<1>(v),
            2 => f32x4_extract_lane::<2>(v),
            _ => f32x4_extract_lane::<3>(v),
        }
    }
    #[inline(always)]
    fn ext64(v: v128, j: usize) -> f64 {
        match j {
            0 => f64x2_extract_lane::<0>(v),
            _ => f64x2_extract_lane::<1>(v),
        }
    }

    simd_min_max!(f32s, f32, 4, f32x4_splat, f32x4_min, f32x4_max, ext32);
    simd_min_max!(f64s, f64, 2, f64x2_splat, f64x2_min, f64x2_max, ext64);
}

/// Count, mean and centred second moment `M2 = Σ (x - mean)²` of one chunk,
/// and the chunk's unrounded compensated sum `(sum, comp)`. Chunks merge
/// with Chan, Golub & LeVeque's update for `M2` (as `Moments::merge`), so the
/// variance never comes from the cancelling `Σx² - n mean²` form; the mean
/// of a merge is its merged compensated sum over `n`, so the mean of the
/// whole array is `sum(x) / n` (the same bits) with the sum's error bound.
/// (Chan's mean update, `mean_a + d n_b / n`, instead rounds at every merge
/// relative to the chunks' means: with `1e17, 1` in one chunk and `-1e17`
/// in the next it gave a mean of 0, not `1 / n`.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub n: f64,
    pub mean: f64,
    pub m2: f64,
    pub sum: f64,
    pub comp: f64,
}

impl Stats {
    /// Two passes over the chunk, both summed by `Lanes`: the mean, then the
    /// squared deviations from it. An empty chunk is `n = 0` (merges away).
    pub fn of<T: Copy + Into<f64>>(x: &[T]) -> Stats {
        if x.is_empty() {
            return Stats::default();
        }
        let n = x.len() as f64;
        let total = Lanes::sum_of(x.len(), |i| x[i].into());
        let mean = total.value() / n;
        let m2 = Lanes::sum_of(x.len(), |i| {
            let d = x[i].into() - mean;
            d * d
        })
        .value();
        Stats {
            n,
            mean,
            m2,
            sum: total.sum,
            comp: total.comp,
        }
    }

    /// Chan et al.'s merge of two partials, the mean from the merged
    /// compensated sum (mirrored in js/kernels/reduce.js).
    pub fn merge(&self, o: &Stats) -> Stats {
        if self.n == 0.0 {
            return *o;
        }
        if o.n == 0.0 {
            return *self;
        }
        let n = self.n + o.n;
        let d = o.mean - self.mean;
        let mut total = Neumaier {
            sum: self.sum,
            comp: self.comp,
        };
        total.merge(&Neumaier {
            sum: o.sum,
            comp: o.comp,
        });
        Stats {
            n,
            mean: total.value() / n,
            m2: self.m2 + o.m2 + d * d * (self.n * o.n / n),
            sum: total.sum,
            comp: total.comp,
        }
    }
}

/// Adds the byte counts of `bytes` to `counts` (`counts[b]` += occurrences
/// of `b`). Four sub-tables, one per byte position mod 4, so consecutive
/// equal bytes do not wait on each other's store-to-load increments; blocks
/// of 2^30 bytes keep the u32 sub-counts from overflowing.
pub fn histogram(bytes: &[u8], counts: &mut [u64; 256]) {
    for block in bytes.chunks(1 << 30) {
        let mut t = [[0u32; 256]; 4];
        let mut it = block.chunks_exact(4);
        for c in &mut it {
            t[0][c[0] as usize] += 1;
            t[1][c[1] as usize] += 1;
            t[2][c[2] as usize] += 1;
            t[3][c[3] as usize] += 1;
        }
        for &b in it.remainder() {
            t[0][b as usize] += 1;
        }
        for (i, c) in counts.iter_mut().enumerate() {
            *c += (t[0][i] + t[1][i] + t[2][i] + t[3][i]) as u64;
        }
    }
}

/// The sufficient statistics of a simple linear regression over one chunk:
/// count, means and centred second moments. Chunks merge with Chan et al.'s
/// pairwise update, which is stable where the textbook `Σxy - n x̄ ȳ` form
/// cancels catastrophically.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Moments {
    pub n: f64,
    pub mean_x: f64,
    pub mean_y: f64,
    /// Σ (x - x̄)²
    pub m2x: f64,
    /// Σ (y - ȳ)²
    pub m2y: f64,
    /// Σ (x - x̄)(y - ȳ)
    pub cxy: f64,
}

impl Moments {
    /// Two passes over the chunk (means, then deviations): the chunk is in
    /// cache, and no division sits in the loop, unlike Welford's update.
    pub fn of<T: Copy + Into<f64>>(x: &[T], y: &[T]) -> Result<Moments> {
        if x.len() != y.len() {
            return Err(Error::LengthMismatch {
                what: "y",
                expected: x.len(),
                actual: y.len(),
            });
        }
        if x.is_empty() {
            return Ok(Moments::default());
        }
        let n = x.len() as f64;
        let mean_x = sum(x).value() / n;
        let mean_y = sum(y).value() / n;
        let (mut m2x, mut m2y, mut cxy) = (0.0, 0.0, 0.0);
        for (&xv, &yv) in x.iter().zip(y) {
            let dx = xv.into() - mean_x;
            let dy = yv.into() - mean_y;
            m2x += dx * dx;
            m2y += dy * dy;
            cxy += dx * dy;
        }
        Ok(Moments {
            n,
            mean_x,
            mean_y,
            m2x,
            m2y,
            cxy,
        })
    }

    /// Chan, Golub & LeVeque's merge of two partials.
    pub fn merge(&self, o: &Moments) -> Moments {
        if self.n == 0.0 {
            return *o;
        }
        if o.n == 0.0 {
            return *self;
        }
        let n = self.n + o.n;
        let dx = o.mean_x - self.mean_x;
        let dy = o.mean_y - self.mean_y;
        let f = self.n * o.n / n;
        Moments {
            n,
            mean_x: self.mean_x + dx * o.n / n,
            mean_y: self.mean_y + dy * o.n / n,
            m2x: self.m2x + o.m2x + dx * dx * f,
            m2y: self.m2y + o.m2y + dy * dy * f,
            cxy: self.cxy + o.cxy + dx * dy * f,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testutil::{Rng, EDGE_SIZES};

    /// Exact reference: sum of f64 values via i128 fixed point at 2^-60 for
    /// inputs of magnitude < 2^10 that are multiples of 2^-40.
    fn exact_sum(x: &[f64]) -> f64 {
        let s: i128 = x.iter().map(|v| (v * (1u64 << 40) as f64) as i128).sum();
        s as f64 / (1u64 << 40) as f64
    }

    #[test]
    fn sum_is_correctly_rounded_on_representable_data() {
        let mut rng = Rng::new(17);
        for &n in EDGE_SIZES {
            let x: Vec<f64> = rng
                .f64s(n)
                .iter()
                .map(|v| (v * (1u64 << 30) as f64).round() / (1u64 << 30) as f64)
                .collect();
            let got = sum(&x).value();
            let want = exact_sum(&x);
            assert!(
                (got - want).abs() <= want.abs() * 2.0 * f64::EPSILON,
                "n={n}"
            );
        }
    }

    #[test]
    fn sum_beats_naive_on_cancellation() {
        // 1e16 + many 1.0 - 1e16: naive summation loses every 1.0.
        let mut x = vec![1e16];
        x.extend(std::iter::repeat_n(1.0, 1000));
        x.push(-1e16);
        assert_eq!(sum(&x).value(), 1000.0);
        let f: Vec<f32> = vec![0.1; 10];
        assert!((sum(&f).value() - 10.0 * 0.1f32 as f64).abs() < 1e-12);
    }

    /// Textbook closed form for slope/intercept/r² computed with plain sums.
    fn closed_form(x: &[f64], y: &[f64]) -> (f64, f64, f64) {
        let n = x.len() as f64;
        let (sx, sy): (f64, f64) = (x.iter().sum(), y.iter().sum());
        let sxx: f64 = x.iter().map(|v| v * v).sum();
        let syy: f64 = y.iter().map(|v| v * v).sum();
        let sxy: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();
        let slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
        let intercept = (sy - slope * sx) / n;
        let r = (n * sxy - sx * sy) / ((n * sxx - sx * sx).sqrt() * (n * syy - sy * sy).sqrt());
        (slope, intercept, r * r)
    }

    #[test]
    fn moments_merge_matches_one_pass_and_closed_form() {
        let mut rng = Rng::new(23);
        for &n in EDGE_SIZES.iter().filter(|&&n| n >= 2) {
            let x = rng.f64s(n);
            let y: Vec<f64> = x.iter().map(|v| 3.0 * v - 7.0 + rng.f64() * 5.0).collect();
            let whole = Moments::of(&x, &y).unwrap();
            let cut = n / 3;
            let merged = Moments::of(&x[..cut], &y[..cut])
                .unwrap()
                .merge(&Moments::of(&x[cut..], &y[cut..]).unwrap());
            let slope = merged.cxy / merged.m2x;
            let intercept = merged.mean_y - slope * merged.mean_x;
            let r2 = merged.cxy * merged.cxy / (merged.m2x * merged.m2y);
            let (s, i, r) = closed_form(&x, &y);
            let tol = 1e-9;
            assert!((slope - s).abs() <= tol * s.abs().max(1.0), "n={n}");
            assert!((intercept - i).abs() <= tol * i.abs().max(1.0), "n={n}");
            assert!((r2 - r).abs() <= tol, "n={n}");
            assert!((whole.cxy - merged.cxy).abs() <= 1e-9 * whole.cxy.abs().max(1.0));
            assert_eq!(whole.n, merged.n);
        }
    }

    #[test]
    fn moments_reject_mismatched_lengths() {
        assert!(Moments::of(&[1.0f64, 2.0], &[1.0]).is_err());
        assert_eq!(Moments::of::<f32>(&[], &[]).unwrap(), Moments::default());
    }
    #[test]
    fn sum_of_infinities_and_overflow_is_the_ieee_answer() {
        assert_eq!(sum(&[1.0, f64::INFINITY]).value(), f64::INFINITY);
        assert_eq!(
            sum(&[f64::NEG_INFINITY, 1.0, 2.0]).value(),
            f64::NEG_INFINITY
        );
        assert!(sum(&[f64::INFINITY, f64::NEG_INFINITY]).value().is_nan());
        assert!(sum(&[1.0, f64::NAN, 2.0]).value().is_nan());
        assert_eq!(sum(&[1e308f64; 16]).value(), f64::INFINITY);
        // An intermediate overflow gives Infinity, as a plain loop does.
        assert_eq!(sum(&[1e308, 1e308, -1e308]).value(), f64::INFINITY);
        let mut n = Neumaier::default();
        n.add(1.0);
        n.add(f64::INFINITY);
        assert_eq!(n.value(), f64::INFINITY);
    }

    #[test]
    fn lanes_equal_one_compensated_sum_on_every_size() {
        let mut rng = Rng::new(29);
        for &n in EDGE_SIZES {
            // Integers: every partial sum is exact, so any order agrees.
            let x: Vec<f64> = rng.f64s(n).iter().map(|v| v.round()).collect();
            assert_eq!(sum(&x).value(), x.iter().sum::<f64>(), "n={n}");
        }
    }

    #[test]
    fn dot_matches_exact_reference() {
        let mut rng = Rng::new(31);
        for &n in EDGE_SIZES {
            // f32 values with 12 significant bits: products have <= 24 bits,
            // exact in f64 and in the i128 fixed point below.
            let q = |v: f64| (v * 16.0).round() / 16.0;
            let x: Vec<f32> = rng.f64s(n).iter().map(|&v| q(v) as f32).collect();
            let y: Vec<f32> = rng.f64s(n).iter().map(|&v| q(v) as f32).collect();
            let exact: i128 = x
                .iter()
                .zip(&y)
                .map(|(a, b)| (*a as f64 * 16.0) as i128 * (*b as f64 * 16.0) as i128)
                .sum();
            let want = exact as f64 / 256.0;
            let got = dot(&x, &y).unwrap().value();
            assert!((got - want).abs() <= want.abs() * f64::EPSILON, "n={n}");
            let (x64, y64): (Vec<f64>, Vec<f64>) = (
                x.iter().map(|&v| v as f64).collect(),
                y.iter().map(|&v| v as f64).collect(),
            );
            assert_eq!(dot(&x64, &y64).unwrap().value(), got, "f64 n={n}");
        }
        // Cancellation across the whole slice: naive gives 0.
        let mut x = vec![1.0f64; 1002];
        x[0] = 1e16;
        x[1001] = -1e16;
        assert_eq!(dot(&x, &vec![1.0; 1002]).unwrap().value(), 1000.0);
        assert_eq!(dot::<f64>(&[], &[]).unwrap().value(), 0.0);
        assert!(dot(&[1.0f64, 2.0], &[1.0]).is_err());
        assert_eq!(
            dot(&[f64::INFINITY, 1.0], &[1.0, 1.0]).unwrap().value(),
            f64::INFINITY
        );
        assert!(dot(&[f64::INFINITY], &[0.0f64]).unwrap().value().is_nan());
    }

    /// js/kernels/grains.js MAP_GRAIN: the JS side's chunks of sum and dot.
    const GRAIN: usize = 1 << 18;

    /// What the JS side does with chunk partials: merged in chunk order.
    fn chunked(n: usize, partial: impl Fn(usize, usize) -> Neumaier) -> Neumaier {
        let mut acc = Neumaier::default();
        for s in (0..n).step_by(GRAIN) {
            acc.merge(&partial(s, (s + GRAIN).min(n)));
        }
        acc
    }

    /// The merge before partials carried their correction: each chunk's
    /// rounded value, merged with a compensated sum.
    fn rounded_first(n: usize, partial: impl Fn(usize, usize) -> Neumaier) -> f64 {
        let mut acc = Neumaier::default();
        for s in (0..n).step_by(GRAIN) {
            acc.add(partial(s, (s + GRAIN).min(n)).value());
        }
        acc.value()
    }

    /// Exact reference for integer-valued terms of magnitude < 2^100: their
    /// i128 sum (f64 -> i128 is exact for integers in range).
    fn exact_int_sum(terms: impl Iterator<Item = f64>) -> i128 {
        terms
            .map(|v| {
                assert!(v == v.trunc() && v.abs() < 2f64.powi(100), "{v}");
                v as i128
            })
            .sum()
    }

    #[test]
    fn chunk_partials_carry_their_correction() {
        // 1e17 + 1 rounds to 1e17 (ulp 16): chunk 0 holds it as sum 1e17 and
        // correction 1; -1e17 is in chunk 1. Exact total: 1.
        let n = GRAIN + 8;
        let mut x = vec![0.0f64; n];
        x[0] = 1e17;
        x[1] = 1.0;
        x[GRAIN] = -1e17;
        assert_eq!(exact_int_sum(x.iter().copied()), 1);
        let (a, b) = (sum(&x[..GRAIN]), sum(&x[GRAIN..]));
        assert_eq!(
            a,
            Neumaier {
                sum: 1e17,
                comp: 1.0
            }
        );
        // Rounding each chunk first (the old partial) loses the 1.
        assert_eq!(a.value() + b.value(), 0.0);
        let mut m = a;
        m.merge(&b);
        assert_eq!(m.value(), 1.0);
        assert_eq!(chunked(n, |s, t| sum(&x[s..t])).value(), 1.0);
        let ones = vec![1.0f64; n];
        let d = chunked(n, |s, t| dot(&x[s..t], &ones[s..t]).unwrap());
        assert_eq!(d.value(), 1.0, "dot f64");
        let st = Stats::of(&x[..GRAIN]).merge(&Stats::of(&x[GRAIN..]));
        assert_eq!(st.mean, 1.0 / n as f64, "meanVariance mean");

        // The correction held by one lane (elements 0 and 8 share lane 0)
        // survives the lane merge into the chunk's pair.
        x[1] = 0.0;
        x[8] = 1.0;
        assert_eq!(
            sum(&x[..GRAIN]),
            Neumaier {
                sum: 1e17,
                comp: 1.0
            }
        );
        assert_eq!(chunked(n, |s, t| sum(&x[s..t])).value(), 1.0);

        // dot f32: factors of at most 24 bits, products exact in f64:
        // (3 * 2^25)(5 * 2^25) = 15 * 2^50 (ulp 2, so + 1 rounds away).
        let (mut a, mut b) = (vec![0.0f32; n], vec![0.0f32; n]);
        (a[0], b[0]) = (3.0 * 2f32.powi(25), 5.0 * 2f32.powi(25));
        (a[1], b[1]) = (1.0, 1.0);
        (a[GRAIN], b[GRAIN]) = (-3.0 * 2f32.powi(25), 5.0 * 2f32.powi(25));
        let exact = exact_int_sum(a.iter().zip(&b).map(|(&p, &q)| p as f64 * q as f64));
        assert_eq!(exact, 1);
        let d = chunked(n, |s, t| dot(&a[s..t], &b[s..t]).unwrap());
        assert_eq!(d.value(), 1.0, "dot f32");
    }

    #[test]
    fn chunked_cancelling_sums_keep_the_neumaier_bound() {
        // Integer data that nearly cancels: 4 in 5 elements huge (2^59 to
        // 2^60), positive in the first half of those slots and negated,
        // shuffled, in the second; every 5th a small integer in [-2^12,
        // 2^12). Chunks of the first half sum to ~2^77 (ulp 2^25), the exact
        // total is ~1e6. Bound (Ogita, Rump & Oishi 2005, Prop. 4.5, in the
        // issue's looser form): |got - S| <= 2u|S| + 2n²u² Σ|x_i|, u = 2^-53.
        let n = 1_000_003;
        let mut rng = Rng::new(53);
        let mut x = vec![0.0f64; n];
        let mut y = vec![0.0f32; n];
        let mut huge: Vec<usize> = Vec::new();
        for i in 0..n {
            if i % 5 == 4 {
                x[i] = (rng.next_u64() % 8192) as f64 - 4096.0;
                y[i] = 1.0 + (rng.next_u64() % 15) as f32;
            } else {
                huge.push(i);
            }
        }
        let h = huge.len() / 2;
        let mut perm: Vec<usize> = (0..h).collect();
        for k in (1..h).rev() {
            perm.swap(k, (rng.next_u64() % (k as u64 + 1)) as usize);
        }
        for k in 0..h {
            let (p, q) = (huge[k], huge[h + perm[k]]);
            x[p] = ((1u64 << 59) + (rng.next_u64() >> 5)) as f64;
            x[q] = -x[p];
            y[p] = 1.0 + (rng.next_u64() % 15) as f32;
            y[q] = y[p];
        }
        for &i in &huge[2 * h..] {
            x[i] = 1.0;
            y[i] = 1.0;
        }
        let u = f64::EPSILON / 2.0;
        let nf = n as f64;
        let within = |got: f64, exact: i128, abs: i128| {
            let bound = 2.0 * u * (exact as f64).abs() + 2.0 * nf * nf * u * u * abs as f64;
            // got is an integer (a rounded sum of integers), so exact in i128.
            let err = (exact_int_sum(std::iter::once(got)) - exact).abs();
            (err as f64 <= bound * (1.0 + 1e-6), err, bound)
        };

        let exact = exact_int_sum(x.iter().copied());
        let abs = exact_int_sum(x.iter().map(|v| v.abs()));
        let got = chunked(n, |s, t| sum(&x[s..t])).value();
        let (ok, err, bound) = within(got, exact, abs);
        assert!(ok, "sum: {got} vs {exact}: error {err} > {bound}");
        // The data has teeth: rounding each chunk first breaks the bound.
        let old = rounded_first(n, |s, t| sum(&x[s..t]));
        assert!(
            !within(old, exact, abs).0,
            "sum rounded per chunk stays in bound"
        );

        // dot, f32: the huge values rounded to f32 (24 bits), times small
        // integers: every product exact in f64 and an integer.
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let products = || x32.iter().zip(&y).map(|(&p, &q)| p as f64 * q as f64);
        let exact = exact_int_sum(products());
        let abs = exact_int_sum(products().map(f64::abs));
        let got = chunked(n, |s, t| dot(&x32[s..t], &y[s..t]).unwrap()).value();
        let (ok, err, bound) = within(got, exact, abs);
        assert!(ok, "dot f32: {got} vs {exact}: error {err} > {bound}");
        let old = rounded_first(n, |s, t| dot(&x32[s..t], &y[s..t]).unwrap());
        assert!(
            !within(old, exact, abs).0,
            "dot rounded per chunk stays in bound"
        );
    }

    fn ref_min(x: &[f64]) -> f64 {
        x.iter().fold(f64::INFINITY, |m, &v| {
            if v.is_nan() || m.is_nan() {
                f64::NAN
            } else if v < m || (v == 0.0 && m == 0.0 && v.is_sign_negative()) {
                v
            } else {
                m
            }
        })
    }
    fn ref_max(x: &[f64]) -> f64 {
        -ref_min(&x.iter().map(|v| -v).collect::<Vec<_>>())
    }
    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn min_max_follow_math_min_max() {
        let mut rng = Rng::new(37);
        for &n in EDGE_SIZES {
            let mut x = rng.f64s(n);
            let mut cases = vec![x.clone()];
            if n > 0 {
                let k = n / 2;
                x[k] = f64::NAN;
                cases.push(x.clone());
                x[k] = 0.0;
                let mut zeros = vec![0.0; n];
                zeros[n - 1] = -0.0;
                cases.push(zeros.clone());
                cases.push(zeros.iter().map(|v| -v).collect());
                x[n - 1] = f64::NEG_INFINITY;
                cases.push(x.clone());
            }
            for c in &cases {
                assert!(same(min(c), ref_min(c)), "min n={n}");
                assert!(same(max(c), ref_max(c)), "max n={n}");
                let c32: Vec<f32> = c.iter().map(|&v| v as f32).collect();
                let w: Vec<f64> = c32.iter().map(|&v| v as f64).collect();
                assert!(same(min(&c32), ref_min(&w)), "min f32 n={n}");
                assert!(same(max(&c32), ref_max(&w)), "max f32 n={n}");
            }
        }
        assert_eq!(min::<f64>(&[]), f64::INFINITY);
        assert_eq!(max::<f32>(&[]), f64::NEG_INFINITY);
        assert!(same(min(&[0.0, -0.0]), -0.0) && same(min(&[-0.0, 0.0]), -0.0));
        assert!(same(max(&[0.0, -0.0]), 0.0) && same(max(&[-0.0, 0.0]), 0.0));
    }

    #[test]
    fn stats_merge_matches_textbook_variance() {
        let mut rng = Rng::new(41);
        for &n in EDGE_SIZES.iter().filter(|&&n| n >= 1) {
            // Offset data: the one-pass Σx² - n·mean² form would cancel.
            let x: Vec<f64> = rng.f64s(n).iter().map(|v| 1e6 + v).collect();
            let mean: f64 = x.iter().sum::<f64>() / n as f64;
            let var: f64 = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
            let cut = n / 3;
            let m = Stats::of(&x[..cut]).merge(&Stats::of(&x[cut..]));
            assert_eq!(m.n, n as f64);
            assert!((m.mean - mean).abs() <= 1e-12 * mean.abs(), "n={n}");
            assert!((m.m2 / m.n - var).abs() <= 1e-8 * var.max(1e-300), "n={n}");
            let whole = Stats::of(&x);
            assert!((whole.m2 - m.m2).abs() <= 1e-9 * m.m2.max(1e-300));
        }
        assert_eq!(Stats::of::<f32>(&[]), Stats::default());
        let one = Stats::of(&[5.0f32]);
        assert_eq!((one.n, one.mean, one.m2), (1.0, 5.0, 0.0));
        assert!(Stats::of(&[1.0, f64::NAN]).m2.is_nan());
        assert!(Stats::of(&[1.0, f64::INFINITY]).m2.is_nan());
    }

    #[test]
    fn histogram_counts_every_byte() {
        let mut rng = Rng::new(43);
        for &n in EDGE_SIZES {
            let b = rng.bytes(n);
            let mut counts = [0u64; 256];
            histogram(&b, &mut counts);
            let mut want = [0u64; 256];
            for &v in &b {
                want[v as usize] += 1;
            }
            assert_eq!(counts, want, "n={n}");
            // Adds to what is there.
            histogram(&b, &mut counts);
            assert!(counts.iter().zip(&want).all(|(c, w)| *c == 2 * w));
        }
    }
}
