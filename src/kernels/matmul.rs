//! Dense matrix product in f32: `C = A · B`, row-major.
//!
//! Every element is computed in the same order whatever the blocking, the
//! band of rows or the SIMD path: `c = 0; for p in 0..k { c = c + a[i][p] *
//! b[p][j] }`, each product and each sum rounded to f32 (wasm SIMD has no
//! fused multiply-add, and neither path fuses). So a band of rows of C gives
//! exactly the bits of the whole product, and the result equals a naive
//! triple loop in f32.
//!
//! Packed panels and a register-tiled micro-kernel:
//! - B is packed once ([`pack_b`]) into panels of `NR` columns, each `k x NR`
//!   and contiguous (columns past `n` are zeros). The wasm binding packs it
//!   once per call and instance, next to its B cache.
//! - k runs in blocks of `KC` and rows in blocks of `MC`: each block of A is
//!   packed into `MR`-row panels (`kc x MR`, interleaved, rows past `m` are
//!   zeros), so the micro-kernel reads both operands contiguously and a
//!   `KC x NR` panel of B (8 KiB) stays in L1 while a block of A stays in L2.
//! - The micro-kernel keeps an `MR x NR` tile of C in registers (with
//!   `+simd128`: 8 f32x4 accumulators) and steps p in order, one multiply
//!   then one add per step. Edge tiles run the same kernel on a copy of the
//!   tile and write back only the elements inside C; the padding lanes
//!   compute `a * 0` sums that are never stored.
//!
//! The fused mode ([`matmul_f32_fused`], opt-in) is the same driver with a
//! micro-kernel that steps `c = madd(a, b, c)`: on wasm with the cargo
//! feature `relaxed-simd` (the fused module, built apart) that is
//! `f32x4.relaxed_madd`, which the engine may run fused (one
//! rounding, x86 FMA3 / Arm FMLA) or as a multiply then an add (two), as
//! the wasm spec allows; natively it is `f32::mul_add` (fused). It is not
//! bit-identical to the naive loop: each element has at most `k` roundings
//! instead of `2k`, and `|c - exact| <= k * 2^-23 * sum |a||b|` holds for
//! it, for either rounding of `relaxed_madd`, as for the exact mode (tests:
//! `bound`); the p order is the same, so on one machine a band of rows
//! still gives the bits of the whole product.

use crate::error::{Error, Result};

/// Rows of the micro-kernel's tile (bands of rows are cut at multiples of it).
pub const MR: usize = 4;
/// Columns of the micro-kernel's tile: the width of a packed panel of B.
pub const NR: usize = 8;
const KC: usize = 256;
const MC: usize = 64;
// A block of MC rows is packed into whole MR-row panels.
const _: () = assert!(MC % MR == 0);

fn check_len(what: &'static str, len: usize, rows: usize, cols: usize) -> Result<()> {
    match rows.checked_mul(cols) {
        Some(want) if want == len => Ok(()),
        _ => Err(Error::LengthMismatch {
            what,
            expected: rows.saturating_mul(cols),
            actual: len,
        }),
    }
}

/// Length of B packed by [`pack_b`]: `ceil(n / NR)` panels of `k x NR`.
pub fn packed_b_len(k: usize, n: usize) -> usize {
    n.div_ceil(NR) * NR * k
}

/// Panels of B packed together, row by row: a row of B is read in runs of
/// `PACK_GROUP * NR` contiguous f32 (two whole cache lines).
const PACK_GROUP: usize = 4;

/// Packs `b` (`k x n`, row-major) into `out` as `ceil(n / NR)` panels of
/// `NR` columns, panel `jp` holding `b[p][jp * NR + jj]` at
/// `(jp * k + p) * NR + jj`, zeros past column `n`. `out` is resized; what
/// it held before is overwritten, every element of it.
///
/// The wasm binding packs B once per call and instance before the call's
/// first band, so this is on that band's critical path (measured at
/// 768x768 on the pool: ~0.6 ms of a ~0.7 ms band, when one panel at a time
/// was copied: a `memcpy` call per 8 floats after zeroing all of `out`).
/// Now: no zeroing pass (the padding of the last panel is written), whole
/// panels copied as fixed-size arrays (inline loads and stores), and
/// `PACK_GROUP` panels per row of B, so each cache line of B is read once.
pub fn pack_b(out: &mut Vec<f32>, b: &[f32], k: usize, n: usize) -> Result<()> {
    check_len("b", b.len(), k, n)?;
    out.resize(packed_b_len(k, n), 0.0);
    if k == 0 || n == 0 {
        return Ok(());
    }
    let full = n / NR; // panels of NR columns of b
    for g0 in (0..full).step_by(PACK_GROUP) {
        let g1 = (g0 + PACK_GROUP).min(full);
        for (p, row) in b.chunks_exact(n).enumerate() {
            for jp in g0..g1 {
                let src: &[f32; NR] = row[jp * NR..jp * NR + NR].try_into().expect("NR columns");
                let at = (jp * k + p) * NR;
                let dst: &mut [f32; NR] = (&mut out[at..at + NR]).try_into().expect("NR slots");
                *dst = *src;
            }
        }
    }
    let j0 = full * NR;
    if j0 < n {
        // The last panel: its columns of b, then zeros.
        let w = n - j0;
        for (p, row) in b.chunks_exact(n).enumerate() {
            let at = (full * k + p) * NR;
            out[at..at + w].copy_from_slice(&row[j0..]);
            out[at + w..at + NR].fill(0.0);
        }
    }
    Ok(())
}

/// `c (m x n) = a (m x k) · b (k x n)`, all row-major.
pub fn matmul_f32(c: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Result<()> {
    with_packed_b(c, a, b, m, k, n, matmul_f32_packed)
}

/// The fused mode of [`matmul_f32`]: within `k * 2^-23 * sum |a||b|` of the
/// exact product, not bit-identical to the naive loop (module docs).
pub fn matmul_f32_fused(
    c: &mut [f32],
    a: &[f32],
    b: &[f32],
    m: usize,
    k: usize,
    n: usize,
) -> Result<()> {
    with_packed_b(c, a, b, m, k, n, matmul_f32_fused_packed)
}

/// Checks the lengths, packs `b` and runs `driver` (a `*_packed` mode) on it.
fn with_packed_b(
    c: &mut [f32],
    a: &[f32],
    b: &[f32],
    m: usize,
    k: usize,
    n: usize,
    driver: impl Fn(&mut [f32], &[f32], &[f32], usize, usize, usize) -> Result<()>,
) -> Result<()> {
    check_len("c", c.len(), m, n)?;
    check_len("a", a.len(), m, k)?;
    check_len("b", b.len(), k, n)?;
    let mut packed = Vec::new();
    pack_b(&mut packed, b, k, n)?;
    driver(c, a, &packed, m, k, n)
}

/// [`matmul_f32`] with B already packed by [`pack_b`] (same `k`, `n`).
pub fn matmul_f32_packed(
    c: &mut [f32],
    a: &[f32],
    bp: &[f32],
    m: usize,
    k: usize,
    n: usize,
) -> Result<()> {
    matmul_packed_with(c, a, bp, m, k, n, micro::tile)
}

/// [`matmul_f32_fused`] with B already packed by [`pack_b`] (same `k`, `n`).
pub fn matmul_f32_fused_packed(
    c: &mut [f32],
    a: &[f32],
    bp: &[f32],
    m: usize,
    k: usize,
    n: usize,
) -> Result<()> {
    matmul_packed_with(c, a, bp, m, k, n, |c, ldc, ap, bp, kc| {
        micro::fused_tile(c, ldc, ap, bp, kc)
    })
}

/// The blocking and packing around a micro-kernel, shared by both modes.
fn matmul_packed_with(
    c: &mut [f32],
    a: &[f32],
    bp: &[f32],
    m: usize,
    k: usize,
    n: usize,
    // A micro-kernel: `c[r * ldc + j] = madd(a[p][r], b[p][j], c[..])` over an
    // `MR x NR` tile for p in `0..kc`, from packed panels (generic, so each
    // mode's driver is compiled with its micro-kernel inlined).
    tile: impl Fn(&mut [f32], usize, &[f32], &[f32], usize),
) -> Result<()> {
    check_len("c", c.len(), m, n)?;
    check_len("a", a.len(), m, k)?;
    if bp.len() != packed_b_len(k, n) {
        return Err(Error::LengthMismatch {
            what: "packed b",
            expected: packed_b_len(k, n),
            actual: bp.len(),
        });
    }
    c.fill(0.0);
    if m == 0 || n == 0 || k == 0 {
        return Ok(());
    }
    let panels = n.div_ceil(NR);
    let mut ap = vec![0f32; MC.min(m.div_ceil(MR) * MR) * KC.min(k)];
    for p0 in (0..k).step_by(KC) {
        let kc = KC.min(k - p0);
        for i0 in (0..m).step_by(MC) {
            let mc = MC.min(m - i0);
            pack_a(&mut ap, a, i0, mc, p0, kc, k);
            for jp in 0..panels {
                let j0 = jp * NR;
                let w = NR.min(n - j0);
                let bpanel = &bp[(jp * k + p0) * NR..(jp * k + p0 + kc) * NR];
                for (t, apanel) in ap.chunks_exact(kc * MR).take(mc.div_ceil(MR)).enumerate() {
                    let i = i0 + t * MR;
                    let h = MR.min(m - i);
                    if h == MR && w == NR {
                        tile(&mut c[i * n + j0..], n, apanel, bpanel, kc);
                    } else {
                        let mut edge = [0f32; MR * NR];
                        for r in 0..h {
                            edge[r * NR..r * NR + w]
                                .copy_from_slice(&c[(i + r) * n + j0..(i + r) * n + j0 + w]);
                        }
                        tile(&mut edge, NR, apanel, bpanel, kc);
                        for r in 0..h {
                            c[(i + r) * n + j0..(i + r) * n + j0 + w]
                                .copy_from_slice(&edge[r * NR..r * NR + w]);
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Packs rows `i0..i0 + mc`, columns `p0..p0 + kc` of `a` into `MR`-row
/// panels of `kc x MR` (element `(p, r)` at `p * MR + r`), zeros past `mc`.
fn pack_a(ap: &mut [f32], a: &[f32], i0: usize, mc: usize, p0: usize, kc: usize, k: usize) {
    for (t, panel) in ap
        .chunks_exact_mut(kc * MR)
        .take(mc.div_ceil(MR))
        .enumerate()
    {
        for r in 0..MR {
            let i = t * MR + r;
            if i < mc {
                let row = &a[(i0 + i) * k + p0..(i0 + i) * k + p0 + kc];
                for (p, &v) in row.iter().enumerate() {
                    panel[p * MR + r] = v;
                }
            } else {
                for p in 0..kc {
                    panel[p * MR + r] = 0.0;
                }
            }
        }
    }
}

/// The portable micro-kernel: an `MR x NR` tile of accumulators (LLVM keeps
/// them in registers), `c[r * ldc + j] = madd(a[p][r], b[p][j], c[..])` for p
/// in order. `tile` rounds the product and the sum apart (exact mode; Rust
/// never contracts them into an FMA); `fused_tile` rounds once (`mul_add`),
/// the result a fused `relaxed_madd` gives.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128", not(sabre_no_simd))))]
mod micro {
    use super::{MR, NR};

    #[inline(always)]
    pub fn tile(c: &mut [f32], ldc: usize, ap: &[f32], bp: &[f32], kc: usize) {
        tile_with(c, ldc, ap, bp, kc, |a, b, acc| acc + a * b);
    }

    #[inline(always)]
    pub fn fused_tile(c: &mut [f32], ldc: usize, ap: &[f32], bp: &[f32], kc: usize) {
        tile_with(c, ldc, ap, bp, kc, f32::mul_add);
    }

    #[inline(always)]
    pub fn tile_with(
        c: &mut [f32],
        ldc: usize,
        ap: &[f32],
        bp: &[f32],
        kc: usize,
        madd: impl Fn(f32, f32, f32) -> f32,
    ) {
        let mut acc = [[0f32; NR]; MR];
        for (r, row) in acc.iter_mut().enumerate() {
            row.copy_from_slice(&c[r * ldc..r * ldc + NR]);
        }
        for (av, bv) in ap[..kc * MR]
            .chunks_exact(MR)
            .zip(bp[..kc * NR].chunks_exact(NR))
        {
            for r in 0..MR {
                for j in 0..NR {
                    acc[r][j] = madd(av[r], bv[j], acc[r][j]);
                }
            }
        }
        for (r, row) in acc.iter().enumerate() {
            c[r * ldc..r * ldc + NR].copy_from_slice(row);
        }
    }
}

/// The simd128 micro-kernel: `MR x NR / 4` f32x4 accumulators; per step two
/// loads of B, `MR` splats of A, then one multiply-add per accumulator.
/// `tile` (exact mode) does it as `f32x4.mul` then `f32x4.add` (never a
/// fused multiply-add), so every lane rounds exactly as the portable loop.
/// `fused_tile` uses `f32x4.relaxed_madd` with the cargo feature
/// `relaxed-simd` (the fused module, scripts/build.js); elsewhere (the
/// `+simd128` wasm in which scripts/wasi-test.js runs the unit tests) it is
/// `mul` then `add`, one of the two results `relaxed_madd` may give, so the
/// same tests hold. Only `fused_tile` is compiled with the relaxed-simd
/// target feature (`#[target_feature]`, not RUSTFLAGS), so the fused module
/// is built with the default module's flags and dependencies, and only its
/// tile can hold a relaxed instruction; the default module has no such
/// function at all.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128", not(sabre_no_simd)))]
mod micro {
    use super::{MR, NR};
    use core::arch::wasm32::*;

    const V: usize = NR / 4;

    #[inline(always)]
    pub fn tile(c: &mut [f32], ldc: usize, ap: &[f32], bp: &[f32], kc: usize) {
        tile_with(c, ldc, ap, bp, kc, |a, b, acc| {
            f32x4_add(acc, f32x4_mul(a, b))
        });
    }

    // A call per tile (a function with a target feature cannot be inlined
    // into one without it): kc * MR * NR multiply-adds each, so its cost
    // does not show. Safe to call on wasm: an engine without relaxed SIMD
    // refuses the whole module at validation (js/relaxed.js checks first),
    // it never runs an instruction it does not have.
    #[cfg(feature = "relaxed-simd")]
    #[target_feature(enable = "relaxed-simd")]
    pub fn fused_tile(c: &mut [f32], ldc: usize, ap: &[f32], bp: &[f32], kc: usize) {
        tile_with(c, ldc, ap, bp, kc, |a, b, acc| {
            f32x4_relaxed_madd(a, b, acc)
        });
    }

    #[cfg(not(feature = "relaxed-simd"))]
    #[inline(always)]
    pub fn fused_tile(c: &mut [f32], ldc: usize, ap: &[f32], bp: &[f32], kc: usize) {
        tile(c, ldc, ap, bp, kc);
    }

    #[inline(always)]
    fn tile_with(
        c: &mut [f32],
        ldc: usize,
        ap: &[f32],
        bp: &[f32],
        kc: usize,
        madd: impl Fn(v128, v128, v128) -> v128,
    ) {
        // The bounds the unchecked loads below rely on.
        assert!(ap.len() >= kc * MR && bp.len() >= kc * NR && c.len() >= (MR - 1) * ldc + NR);
        let mut acc = [[f32x4_splat(0.0); V]; MR];
        for (r, row) in acc.iter_mut().enumerate() {
            for (v, x) in row.iter_mut().enumerate() {
                // SAFETY: r * ldc + 4 * v + 4 <= (MR - 1) * ldc + NR <= c.len().
                *x = unsafe { v128_load(c.as_ptr().add(r * ldc + 4 * v) as *const v128) };
            }
        }
        let (mut a, mut b) = (ap.as_ptr(), bp.as_ptr());
        for _ in 0..kc {
            // SAFETY: kc steps of MR (A) and NR (B) floats stay within the
            // lengths asserted above.
            unsafe {
                let mut bv = [f32x4_splat(0.0); V];
                for (v, x) in bv.iter_mut().enumerate() {
                    *x = v128_load(b.add(4 * v) as *const v128);
                }
                for (r, row) in acc.iter_mut().enumerate() {
                    let av = f32x4_splat(*a.add(r));
                    for (x, &bx) in row.iter_mut().zip(bv.iter()) {
                        *x = madd(av, bx, *x);
                    }
                }
                a = a.add(MR);
                b = b.add(NR);
            }
        }
        for (r, row) in acc.iter().enumerate() {
            for (v, &x) in row.iter().enumerate() {
                // SAFETY: as for the loads.
                unsafe { v128_store(c.as_mut_ptr().add(r * ldc + 4 * v) as *mut v128, x) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testutil::Rng;

    /// The naive triple loop, accumulating in f32 in p order (bit-exact
    /// reference) and in f64 (accuracy reference).
    fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> (Vec<f32>, Vec<f64>, Vec<f64>) {
        let mut c32 = vec![0f32; m * n];
        let mut c64 = vec![0f64; m * n];
        let mut mag = vec![0f64; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = 0f32;
                let (mut t, mut u) = (0f64, 0f64);
                for p in 0..k {
                    s += a[i * k + p] * b[p * n + j];
                    t += a[i * k + p] as f64 * b[p * n + j] as f64;
                    u += (a[i * k + p] as f64 * b[p * n + j] as f64).abs();
                }
                c32[i * n + j] = s;
                c64[i * n + j] = t;
                mag[i * n + j] = u;
            }
        }
        (c32, c64, mag)
    }

    #[test]
    fn matches_naive_loop_bit_for_bit_and_in_bands() {
        let mut rng = Rng::new(77);
        let dims = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33];
        for &m in &dims {
            for &k in &[0, 1, 3, 8, 17, 255, 256, 257, 600] {
                for &n in &dims {
                    if m * k * n > 3_000_000 {
                        continue;
                    }
                    let a = rng.f32s(m * k);
                    let b = rng.f32s(k * n);
                    let (want, exact, mag) = naive(&a, &b, m, k, n);
                    let mut c = vec![f32::NAN; m * n];
                    matmul_f32(&mut c, &a, &b, m, k, n).unwrap();
                    assert_eq!(c, want, "{m}x{k}x{n}");
                    // Accuracy: |c - exact| <= k * 2^-24 * Σ|a||b|.
                    for i in 0..m * n {
                        let tol = (k as f64 + 1.0) * f32::EPSILON as f64 / 2.0 * mag[i];
                        assert!((c[i] as f64 - exact[i]).abs() <= tol, "{m}x{k}x{n} at {i}");
                    }
                    // A band of rows gives the same bits.
                    if m > 2 {
                        let (lo, hi) = (1, m - 1);
                        let mut band = vec![0f32; (hi - lo) * n];
                        matmul_f32(&mut band, &a[lo * k..hi * k], &b, hi - lo, k, n).unwrap();
                        assert_eq!(band, c[lo * n..hi * n], "band of {m}x{k}x{n}");
                    }
                }
            }
        }
    }

    /// Bands of rows of `a` (whole, the first tile, the last two thirds, one
    /// row), B packed once and reused as the wasm binding does, through
    /// `packed` (a `*_packed` mode): each gives the bits of `whole`.
    fn check_bands(
        a: &[f32],
        b: &[f32],
        m: usize,
        k: usize,
        n: usize,
        whole: &[f32],
        packed: Mode,
    ) {
        let mut bp = Vec::new();
        pack_b(&mut bp, b, k, n).unwrap();
        assert_eq!(bp.len(), packed_b_len(k, n));
        for (lo, hi) in [
            (0, m),
            (0, m.min(MR)),
            (m / 3, m),
            (m / 2, (m / 2 + 1).min(m)),
        ] {
            let mut band = vec![f32::NAN; (hi - lo) * n];
            packed(&mut band, &a[lo * k..hi * k], &bp, hi - lo, k, n).unwrap();
            assert!(
                same_bits(&band, &whole[lo * n..hi * n]),
                "band {lo}..{hi} of {m}x{k}x{n}"
            );
        }
    }

    /// Every edge shape (EDGE_SHAPES), whole and in bands.
    #[test]
    fn packed_micro_kernel_matches_naive_loop_on_edge_shapes() {
        let mut rng = Rng::new(13);
        for &(m, k, n) in &EDGE_SHAPES {
            let a = rng.f32s(m * k);
            let b = rng.f32s(k * n);
            let (want, _, _) = naive(&a, &b, m, k, n);
            let mut c = vec![f32::NAN; m * n];
            matmul_f32(&mut c, &a, &b, m, k, n).unwrap();
            assert!(same_bits(&c, &want), "{m}x{k}x{n}");
            check_bands(&a, &b, m, k, n, &want, matmul_f32_packed);
        }
        let mut c = [0f32; 4];
        assert!(matmul_f32_packed(&mut c, &[0.0; 4], &[0.0; 4], 2, 2, 2).is_err());
    }

    /// `pack_b` against its definition, element by element, into a fresh
    /// buffer and into one reused from a bigger or smaller packing and
    /// filled with NaN (nothing of what it held may survive, padding
    /// included), on every edge shape and widths around the panel groups.
    #[test]
    fn pack_b_matches_its_definition_and_overwrites_what_out_held() {
        let mut rng = Rng::new(17);
        let mut shapes: Vec<(usize, usize)> = EDGE_SHAPES.iter().map(|&(_, k, n)| (k, n)).collect();
        for n in [
            1,
            NR - 1,
            NR,
            NR + 1,
            PACK_GROUP * NR - 1,
            PACK_GROUP * NR,
            PACK_GROUP * NR + 3,
            5 * PACK_GROUP * NR + 7,
        ] {
            shapes.push((3, n));
        }
        let mut reused: Vec<f32> = Vec::new();
        for (k, n) in shapes {
            let b = rng.f32s(k * n);
            let mut want = vec![0f32; packed_b_len(k, n)];
            for p in 0..k {
                for j in 0..n {
                    want[((j / NR) * k + p) * NR + j % NR] = b[p * n + j];
                }
            }
            let mut fresh = Vec::new();
            pack_b(&mut fresh, &b, k, n).unwrap();
            assert!(same_bits(&fresh, &want), "fresh {k}x{n}");
            reused.iter_mut().for_each(|x| *x = f32::NAN);
            pack_b(&mut reused, &b, k, n).unwrap();
            assert!(same_bits(&reused, &want), "reused {k}x{n}");
            reused.resize(reused.len() + 40, f32::NAN); // longer than the next packing, say
        }
        assert!(pack_b(&mut reused, &[0.0; 5], 2, 3).is_err());
    }

    /// A whole product in one mode: `matmul_f32` or `matmul_f32_fused`.
    type Mode = fn(&mut [f32], &[f32], &[f32], usize, usize, usize) -> Result<()>;

    /// inf and NaN reach the elements they touch in a mode (`matmul` or `matmul_fused`).
    fn check_special_values(mode: Mode) {
        let a = [1.0, f32::INFINITY, 0.0, 2.0];
        let b = [1.0, 0.0, 1.0, f32::NAN];
        let mut c = [0f32; 4];
        mode(&mut c, &a, &b, 2, 2, 2).unwrap();
        assert_eq!(c[0], f32::INFINITY);
        assert!(c[1].is_nan()); // inf * 0
        assert_eq!(c[2], 2.0);
        assert!(c[3].is_nan());
    }

    #[test]
    fn special_values_propagate() {
        check_special_values(matmul_f32);
    }

    /// A scalar multiply-add model: `madd(a, b, acc)`.
    type Madd = fn(f32, f32, f32) -> f32;

    /// The naive loop with a multiply-add of the caller's, in p order.
    fn naive_with(
        a: &[f32],
        b: &[f32],
        m: usize,
        k: usize,
        n: usize,
        madd: impl Fn(f32, f32, f32) -> f32,
    ) -> Vec<f32> {
        let mut c = vec![0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).fold(0f32, |s, p| madd(a[i * k + p], b[p * n + j], s));
            }
        }
        c
    }

    /// The madd the fused micro-kernel is compiled to here (see `micro`):
    /// `mul_add` in the portable loop, mul then add in the simd128 one
    /// without relaxed-simd; `None` with relaxed-simd, where the engine
    /// chooses (these tests never run so: scripts/wasi-test.js has no
    /// relaxed-simd build; the Node tests check that module).
    fn fused_model() -> Option<Madd> {
        if cfg!(all(
            target_arch = "wasm32",
            target_feature = "simd128",
            not(sabre_no_simd)
        )) {
            if cfg!(feature = "relaxed-simd") {
                None
            } else {
                Some(|a, b, c| c + a * b)
            }
        } else {
            Some(f32::mul_add)
        }
    }

    /// The error bound of both modes, and of either rounding model of
    /// `relaxed_madd`: summing k products in p order, one rounding per step
    /// (fused) gives `|c - exact| <= γ_k Σ|a||b|`, two (mul, add) `γ_(k+1)`,
    /// with `γ_j = j u / (1 - j u)`, `u = 2^-24`; `k * 2^-23 * Σ|a||b|` is
    /// above both for every k >= 1 used here (and exact for k = 0).
    fn bound(k: usize, mag: f64) -> f64 {
        k as f64 * f32::EPSILON as f64 * mag
    }

    fn same_bits(x: &[f32], y: &[f32]) -> bool {
        x.len() == y.len() && x.iter().zip(y).all(|(a, b)| a.to_bits() == b.to_bits())
    }

    /// Shapes around the micro-kernel's tile (MR x NR), the k block (KC) and
    /// the row block (MC), primes, k = 0 and the 1x1x1 corner.
    const EDGE_SHAPES: [(usize, usize, usize); 16] = [
        (1, 1, 1),
        (2, 3, 5),
        (7, 11, 13),
        (13, 31, 37),
        (17, 33, 9),
        (MR, KC, NR),
        (MR + 1, KC + 1, NR + 1),
        (MR - 1, KC - 1, NR - 1),
        (64, 64, 64),
        (MC - 1, 2 * KC + 3, 3 * NR - 1),
        (MC + 1, 97, 2 * NR + 1),
        (2 * MC + 3, 5, 41),
        (101, 257, 103),
        (1, 300, 64),
        (64, 300, 1),
        (3, 0, 5),
    ];

    /// The fused mode on every edge shape: within the stated bound of the
    /// f64 product, bit for bit the naive loop with its own madd, and a band
    /// of rows (B packed once) gives the same bits as the whole product.
    #[test]
    fn fused_mode_is_within_the_bound_on_edge_shapes() {
        let mut rng = Rng::new(31);
        for &(m, k, n) in &EDGE_SHAPES {
            let a = rng.f32s(m * k);
            let b = rng.f32s(k * n);
            let (_, exact, mag) = naive(&a, &b, m, k, n);
            let mut c = vec![f32::NAN; m * n];
            matmul_f32_fused(&mut c, &a, &b, m, k, n).unwrap();
            for i in 0..m * n {
                let err = (c[i] as f64 - exact[i]).abs();
                assert!(
                    err <= bound(k, mag[i]),
                    "{m}x{k}x{n} at {i}: {err} > {}",
                    bound(k, mag[i])
                );
            }
            if let Some(madd) = fused_model() {
                assert!(
                    same_bits(&c, &naive_with(&a, &b, m, k, n, madd)),
                    "{m}x{k}x{n}"
                );
            }
            check_bands(&a, &b, m, k, n, &c, matmul_f32_fused_packed);
        }
    }

    /// `relaxed_madd` may round once or twice: the fused micro-kernel's
    /// driver run with each model (the portable loop) meets the same bound,
    /// and each equals the naive loop of that model bit for bit.
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128", not(sabre_no_simd))))]
    #[test]
    fn either_rounding_model_of_relaxed_madd_is_within_the_bound() {
        let models: [(&str, Madd); 2] = [("fused", f32::mul_add), ("unfused", |a, b, c| c + a * b)];
        let mut rng = Rng::new(5);
        for &(m, k, n) in &EDGE_SHAPES {
            let a = rng.f32s(m * k);
            let b = rng.f32s(k * n);
            let (_, exact, mag) = naive(&a, &b, m, k, n);
            let mut bp = Vec::new();
            pack_b(&mut bp, &b, k, n).unwrap();
            for (name, madd) in models {
                let mut c = vec![f32::NAN; m * n];
                let tile = |c: &mut [f32], ldc, ap: &[f32], bp: &[f32], kc| {
                    micro::tile_with(c, ldc, ap, bp, kc, madd)
                };
                matmul_packed_with(&mut c, &a, &bp, m, k, n, tile).unwrap();
                assert!(
                    same_bits(&c, &naive_with(&a, &b, m, k, n, madd)),
                    "{name} {m}x{k}x{n}"
                );
                for i in 0..m * n {
                    assert!(
                        (c[i] as f64 - exact[i]).abs() <= bound(k, mag[i]),
                        "{name} {m}x{k}x{n} at {i}"
                    );
                }
            }
        }
    }

    /// Where every product and partial sum is exact in f32 (small integers),
    /// both modes and both rounding models give the same bits.
    #[test]
    fn fused_mode_is_exact_where_no_step_rounds() {
        let mut rng = Rng::new(9);
        let (m, k, n) = (37, 130, 29);
        let small = |v: f32| (v * 16.0).round(); // integers in [-8, 8]
        let a: Vec<f32> = rng.f32s(m * k).into_iter().map(small).collect();
        let b: Vec<f32> = rng.f32s(k * n).into_iter().map(small).collect();
        let (want, _, _) = naive(&a, &b, m, k, n);
        let mut c = vec![f32::NAN; m * n];
        matmul_f32_fused(&mut c, &a, &b, m, k, n).unwrap();
        assert!(same_bits(&c, &want));
    }

    #[test]
    fn fused_mode_special_values() {
        check_special_values(matmul_f32_fused); // -MAX, then MAX * 2 added to it: the product alone overflows (the
                                                // exact mode gives inf), the fused step rounds MAX * 2 - MAX = MAX.
        let (a, b) = ([1.0, f32::MAX], [-f32::MAX, 2.0]);
        let mut exact = [0f32];
        matmul_f32(&mut exact, &a, &b, 1, 2, 1).unwrap();
        assert_eq!(exact[0], f32::INFINITY);
        let mut fused = [0f32];
        matmul_f32_fused(&mut fused, &a, &b, 1, 2, 1).unwrap();
        assert_eq!(fused[0], fused_model().unwrap()(f32::MAX, 2.0, -f32::MAX));
        let mut c = [0f32; 4];
        assert!(matmul_f32_fused(&mut c, &[0.0; 3], &[0.0; 4], 2, 2, 2).is_err());
        assert!(matmul_f32_fused_packed(&mut c, &[0.0; 4], &[0.0; 4], 2, 2, 2).is_err());
    }

    #[test]
    fn rejects_bad_lengths() {
        let mut c = [0f32; 4];
        assert!(matmul_f32(&mut c, &[0.0; 4], &[0.0; 4], 2, 2, 2).is_ok());
        assert!(matmul_f32(&mut c, &[0.0; 3], &[0.0; 4], 2, 2, 2).is_err());
        assert!(matmul_f32(&mut c, &[0.0; 4], &[0.0; 5], 2, 2, 2).is_err());
        assert!(matmul_f32(&mut c[..3], &[0.0; 4], &[0.0; 4], 2, 2, 2).is_err());
        assert!(matmul_f32(&mut [], &[], &[], usize::MAX, 2, 0).is_err());
        assert!(matmul_f32(&mut [], &[], &[0.0; 6], 0, 2, 3).is_ok());
    }
}
