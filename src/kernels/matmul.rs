//! Dense matrix product in f32: `C = A · B`, row-major.
//!
//! Every element is computed in the same order whatever the blocking, the
//! band of rows or the SIMD path: `c = 0; for p in 0..k { c = c + a[i][p] *
//! b[p][j] }`, each product and each sum rounded to f32 (wasm SIMD has no
//! fused multiply-add, and the portable path does not fuse either). So a
//! band of rows of C gives exactly the bits of the whole product, and the
//! result equals a naive triple loop in f32.
//!
//! Blocking: the k dimension in blocks of `KC`, so a `KC x NR` panel of B
//! (8 KiB) stays in L1 while every row of A's block streams past it; a
//! register micro-kernel computes a `MR x NR` (4 x 8) tile of C with its 32
//! accumulators in registers (eight f32x4 with `+simd128`). Rows and columns that do not
//! fill a tile use a 1 x 8 kernel and a scalar loop with the same order.

use crate::error::{Error, Result};

const MR: usize = 4;
const NR: usize = 8;
const KC: usize = 256;

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

/// `c (m x n) = a (m x k) · b (k x n)`, all row-major.
pub fn matmul_f32(c: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Result<()> {
    check_len("c", c.len(), m, n)?;
    check_len("a", a.len(), m, k)?;
    check_len("b", b.len(), k, n)?;
    c.fill(0.0);
    if m == 0 || n == 0 || k == 0 {
        return Ok(());
    }
    let n8 = n - n % NR;
    let m4 = m - m % MR;
    for p0 in (0..k).step_by(KC) {
        let kc = KC.min(k - p0);
        for j0 in (0..n8).step_by(NR) {
            for i0 in (0..m4).step_by(MR) {
                micro::tile_4x8(c, a, b, i0, j0, p0, kc, k, n);
            }
            for i in m4..m {
                micro::tile_1x8(c, a, b, i, j0, p0, kc, k, n);
            }
        }
        // Columns past the last whole panel: one element at a time.
        for i in 0..m {
            let arow = &a[i * k + p0..i * k + p0 + kc];
            for j in n8..n {
                let mut acc = c[i * n + j];
                for (p, &av) in arow.iter().enumerate() {
                    acc += av * b[(p0 + p) * n + j];
                }
                c[i * n + j] = acc;
            }
        }
    }
    Ok(())
}

/// The micro-kernels: plain arrays of accumulators that LLVM keeps in
/// registers and, with `+simd128`, turns into f32x4 code.
///
/// Measured (2-core x86-64 VM, Node 20, 512x512x512 and two other shapes):
/// this source built with `+simd128` runs 11-14 GFlop/s, the same as a
/// hand-written `core::arch::wasm32` f32x4 variant of these two kernels
/// (within 3 %, identical bits), and 3x the build without `+simd128`. So
/// there is one variant, which `cargo test` checks natively and the JS tests
/// check as wasm SIMD.
mod micro {
    use super::{MR, NR};

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn tile_4x8(
        c: &mut [f32],
        a: &[f32],
        b: &[f32],
        i0: usize,
        j0: usize,
        p0: usize,
        kc: usize,
        k: usize,
        n: usize,
    ) {
        let mut acc = [[0f32; NR]; MR];
        for (r, row) in acc.iter_mut().enumerate() {
            row.copy_from_slice(&c[(i0 + r) * n + j0..(i0 + r) * n + j0 + NR]);
        }
        let a0 = &a[i0 * k + p0..i0 * k + p0 + kc];
        let a1 = &a[(i0 + 1) * k + p0..(i0 + 1) * k + p0 + kc];
        let a2 = &a[(i0 + 2) * k + p0..(i0 + 2) * k + p0 + kc];
        let a3 = &a[(i0 + 3) * k + p0..(i0 + 3) * k + p0 + kc];
        for p in 0..kc {
            let brow: &[f32; NR] = b[(p0 + p) * n + j0..(p0 + p) * n + j0 + NR]
                .try_into()
                .unwrap();
            let av = [a0[p], a1[p], a2[p], a3[p]];
            for r in 0..MR {
                for j in 0..NR {
                    acc[r][j] += av[r] * brow[j];
                }
            }
        }
        for (r, row) in acc.iter().enumerate() {
            c[(i0 + r) * n + j0..(i0 + r) * n + j0 + NR].copy_from_slice(row);
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn tile_1x8(
        c: &mut [f32],
        a: &[f32],
        b: &[f32],
        i: usize,
        j0: usize,
        p0: usize,
        kc: usize,
        k: usize,
        n: usize,
    ) {
        let out: &mut [f32; NR] = (&mut c[i * n + j0..i * n + j0 + NR]).try_into().unwrap();
        let arow = &a[i * k + p0..i * k + p0 + kc];
        for (p, &av) in arow.iter().enumerate() {
            let brow = &b[(p0 + p) * n + j0..(p0 + p) * n + j0 + NR];
            for j in 0..NR {
                out[j] += av * brow[j];
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

    #[test]
    fn special_values_propagate() {
        let a = [1.0, f32::INFINITY, 0.0, 2.0];
        let b = [1.0, 0.0, 1.0, f32::NAN];
        let mut c = [0f32; 4];
        matmul_f32(&mut c, &a, &b, 2, 2, 2).unwrap();
        assert_eq!(c[0], f32::INFINITY);
        assert!(c[1].is_nan()); // inf * 0
        assert_eq!(c[2], 2.0);
        assert!(c[3].is_nan());
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
