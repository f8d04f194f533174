//! Stencils on RGBA images: a separable Gaussian blur in integer arithmetic.
//!
//! The blur is two 1-D passes with the same symmetric integer kernel
//! `w[0], w[1], .. w[r]` (a tap at distance `i` has weight `w[i]`), whose
//! taps sum to `1 << 16` (`w[0] + 2 * (w[1] + .. + w[r]) == 65536`):
//!
//! 1. vertical: `v = (Σ_j w[|j|] * in[clamp(y + j)][x] + 128) >> 8`, a value
//!    in `0..=65280` (the blurred byte in 8.8 fixed point);
//! 2. horizontal: `out = (Σ_i w[|i|] * v[y][clamp(x + i)] + (1 << 23)) >> 24`.
//!
//! Every step is exact integer arithmetic, and both sums fit in `u32`
//! (`65280 * 65536 + 2^23 < 2^32`), so the bytes do not depend on how the
//! image is split into bands, on SIMD or not, or on the machine. Edges are
//! clamped (the nearest edge pixel repeats). The four channels are blurred
//! independently as stored: alpha is blurred like a colour, with no
//! premultiplication (blur premultiplied RGBA to avoid dark fringes where
//! alpha varies).
//!
//! The vertical pass goes first so that a band of rows only needs the
//! vertical pass for its own rows: the halo rows above and below are read but
//! never blurred horizontally.

use crate::error::{Error, Result};

/// The taps of each pass sum to this.
pub const WEIGHT_ONE: u32 = 1 << 16;

/// The largest radius accepted (the JS side caps sigma at 100, radius 300).
pub const MAX_RADIUS: usize = 1024;

fn check_weights(w: &[u32]) -> Result<()> {
    if w.is_empty() || w.len() > MAX_RADIUS + 1 {
        return Err(Error::OutOfRange {
            what: "weights",
            detail: format!("need 1 to {} taps, got {}", MAX_RADIUS + 1, w.len()),
        });
    }
    // Each tap is at most 2^16 here, so this u64 sum cannot overflow.
    let total: u64 = w[0] as u64
        + 2 * w[1..]
            .iter()
            .map(|&v| v.min(WEIGHT_ONE) as u64)
            .sum::<u64>();
    if w.iter().any(|&v| v > WEIGHT_ONE) || total != WEIGHT_ONE as u64 {
        return Err(Error::OutOfRange {
            what: "weights",
            detail: format!("w[0] + 2 * (w[1] + ..) must be {WEIGHT_ONE}, got {total}"),
        });
    }
    Ok(())
}

/// Blurs a band of rows. `input` holds whole rows of `width` RGBA pixels;
/// `out` receives `out.len() / (4 * width)` rows, the rows of `input`
/// starting at `band_start`. Rows outside `input` are clamped to its first
/// and last rows, so a band whose `input` also holds `radius` halo rows on
/// each side (fewer at the image's edges) gives exactly the rows of the
/// whole-image blur. `tmp` is grown as needed and reused across calls.
pub fn gaussian_blur_rows(
    out: &mut [u8],
    input: &[u8],
    width: usize,
    band_start: usize,
    weights: &[u32],
    tmp: &mut Vec<u32>,
) -> Result<()> {
    check_weights(weights)?;
    let row = width.checked_mul(4).ok_or(Error::OutOfRange {
        what: "width",
        detail: "too large".into(),
    })?;
    if row == 0 {
        return if out.is_empty() && input.is_empty() {
            Ok(())
        } else {
            Err(Error::OutOfRange {
                what: "width",
                detail: "is 0 but the image is not empty".into(),
            })
        };
    }
    for (what, len) in [("input", input.len()), ("out", out.len())] {
        if len % row != 0 {
            return Err(Error::NotMultiple {
                what,
                len,
                multiple: row,
            });
        }
    }
    let rows_in = input.len() / row;
    let rows_out = out.len() / row;
    if band_start + rows_out > rows_in {
        return Err(Error::OutOfRange {
            what: "band",
            detail: format!("rows {band_start} + {rows_out} exceed the {rows_in} rows given"),
        });
    }
    if rows_out == 0 {
        return Ok(());
    }
    let r = weights.len() - 1;
    // tmp: one row of the vertical pass with r pixels of padding on each
    // side (so the horizontal pass needs no clamping), then one accumulator
    // row for the horizontal pass.
    let padded = row + 8 * r;
    if tmp.len() < padded + row {
        tmp.resize(padded + row, 0);
    }
    let (vrow, acc) = tmp.split_at_mut(padded);
    let acc = &mut acc[..row];
    let line = |y: usize| &input[y * row..(y + 1) * row];

    for (y, out_row) in out.chunks_exact_mut(row).enumerate() {
        let y = band_start + y;
        // Vertical pass into the middle of vrow.
        let mid = &mut vrow[4 * r..4 * r + row];
        vertical(mid, line(y), weights[0]);
        for (j, &wj) in weights.iter().enumerate().skip(1) {
            let up = line(y.saturating_sub(j));
            let down = line((y + j).min(rows_in - 1));
            vertical_pair(mid, up, down, wj);
        }
        for v in mid.iter_mut() {
            *v = (*v + 128) >> 8;
        }
        // Clamped edges: repeat the first and last pixels into the padding.
        let mut first = [0u32; 4];
        let mut last = [0u32; 4];
        first.copy_from_slice(&vrow[4 * r..4 * r + 4]);
        last.copy_from_slice(&vrow[4 * r + row - 4..4 * r + row]);
        for p in 0..r {
            vrow[4 * p..4 * p + 4].copy_from_slice(&first);
            let q = 4 * r + row + 4 * p;
            vrow[q..q + 4].copy_from_slice(&last);
        }
        // Horizontal pass: acc[i] = Σ w[k] * (vrow[i + 4r - 4k] + vrow[i + 4r + 4k]).
        horizontal(acc, &vrow[4 * r..4 * r + row], weights[0]);
        for (k, &wk) in weights.iter().enumerate().skip(1) {
            let left = &vrow[4 * (r - k)..4 * (r - k) + row];
            let right = &vrow[4 * (r + k)..4 * (r + k) + row];
            horizontal_pair(acc, left, right, wk);
        }
        for (o, &a) in out_row.iter_mut().zip(acc.iter()) {
            *o = ((a + (1 << 23)) >> 24) as u8;
        }
    }
    Ok(())
}

// The four inner loops are plain slice loops over a whole row: LLVM turns
// them into u32x4 code with +simd128 (see the measurement in the JS spec,
// js/kernels/stencil.js), so there is no hand-written SIMD variant.

#[inline]
fn vertical(acc: &mut [u32], src: &[u8], w: u32) {
    for (a, &s) in acc.iter_mut().zip(src) {
        *a = w * s as u32;
    }
}

#[inline]
fn vertical_pair(acc: &mut [u32], up: &[u8], down: &[u8], w: u32) {
    for ((a, &u), &d) in acc.iter_mut().zip(up).zip(down) {
        *a += w * (u as u32 + d as u32);
    }
}

#[inline]
fn horizontal(acc: &mut [u32], src: &[u32], w: u32) {
    for (a, &s) in acc.iter_mut().zip(src) {
        *a = w * s;
    }
}

#[inline]
fn horizontal_pair(acc: &mut [u32], left: &[u32], right: &[u32], w: u32) {
    for ((a, &l), &r) in acc.iter_mut().zip(left).zip(right) {
        *a += w * (l + r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testutil::Rng;

    /// Gaussian taps the same way js/kernels/stencil.js computes them
    /// (largest remainder rounding to a sum of exactly 65536).
    pub fn weights(sigma: f64) -> Vec<u32> {
        if sigma == 0.0 {
            return vec![WEIGHT_ONE];
        }
        let r = (3.0 * sigma).ceil() as usize;
        let f: Vec<f64> = (0..=r)
            .map(|i| (-((i * i) as f64) / (2.0 * sigma * sigma)).exp())
            .collect();
        let total = f[0] + 2.0 * f[1..].iter().sum::<f64>();
        let g: Vec<f64> = f.iter().map(|v| v * 65536.0 / total).collect();
        let mut w: Vec<u32> = g.iter().map(|v| v.floor() as u32).collect();
        let mut d = 65536 - (w[0] + 2 * w[1..].iter().sum::<u32>());
        if d % 2 == 1 {
            w[0] += 1;
            d -= 1;
        }
        let mut order: Vec<usize> = (1..=r).collect();
        order.sort_by(|&a, &b| (g[b] - g[b].floor()).total_cmp(&(g[a] - g[a].floor())));
        for &i in order.iter().take(d as usize / 2) {
            w[i] += 1;
        }
        while w.len() > 1 && *w.last().unwrap() == 0 {
            w.pop();
        }
        w
    }

    /// Readable reference: the two passes over the whole image, pixel by
    /// pixel with clamped coordinates.
    fn reference(input: &[u8], width: usize, height: usize, w: &[u32]) -> Vec<u8> {
        let r = w.len() as i64 - 1;
        let at = |x: i64, y: i64, c: usize| -> u32 {
            let x = x.clamp(0, width as i64 - 1) as usize;
            let y = y.clamp(0, height as i64 - 1) as usize;
            input[(y * width + x) * 4 + c] as u32
        };
        let mut v = vec![0u32; width * height * 4];
        for y in 0..height as i64 {
            for x in 0..width as i64 {
                for c in 0..4 {
                    let s: u32 = (-r..=r)
                        .map(|j| w[j.unsigned_abs() as usize] * at(x, y + j, c))
                        .sum();
                    v[(y as usize * width + x as usize) * 4 + c] = (s + 128) >> 8;
                }
            }
        }
        let mut out = vec![0u8; width * height * 4];
        for y in 0..height {
            for x in 0..width as i64 {
                for c in 0..4 {
                    let s: u64 = (-r..=r)
                        .map(|i| {
                            let xx = (x + i).clamp(0, width as i64 - 1) as usize;
                            w[i.unsigned_abs() as usize] as u64 * v[(y * width + xx) * 4 + c] as u64
                        })
                        .sum();
                    out[(y * width + x as usize) * 4 + c] = ((s + (1 << 23)) >> 24) as u8;
                }
            }
        }
        out
    }

    #[test]
    fn weights_sum_to_one() {
        for s in [0.0, 0.1, 0.5, 1.0, 1.7, 3.0, 10.0, 100.0] {
            let w = weights(s);
            check_weights(&w).unwrap();
            assert!(w.windows(2).all(|p| p[0] >= p[1]), "sigma {s}: {w:?}");
        }
    }

    #[test]
    fn matches_reference_whole_and_in_bands() {
        let mut rng = Rng::new(41);
        let mut tmp = Vec::new();
        for (width, height) in [(1, 1), (1, 7), (7, 1), (3, 2), (5, 9), (17, 13), (64, 33)] {
            let img = rng.bytes(width * height * 4);
            for sigma in [0.0, 0.4, 1.0, 2.5, 6.0] {
                let w = weights(sigma);
                let r = w.len() - 1;
                let want = reference(&img, width, height, &w);
                let mut whole = vec![0u8; img.len()];
                gaussian_blur_rows(&mut whole, &img, width, 0, &w, &mut tmp).unwrap();
                assert_eq!(whole, want, "{width}x{height} sigma {sigma}");
                // Bands of every height, each given its halo only.
                for band in [1, 2, 5] {
                    let mut split = vec![0u8; img.len()];
                    let row = 4 * width;
                    for s in (0..height).step_by(band) {
                        let t = (s + band).min(height);
                        let lo = s.saturating_sub(r);
                        let hi = (t + r).min(height);
                        gaussian_blur_rows(
                            &mut split[s * row..t * row],
                            &img[lo * row..hi * row],
                            width,
                            s - lo,
                            &w,
                            &mut tmp,
                        )
                        .unwrap();
                    }
                    assert_eq!(split, want, "{width}x{height} sigma {sigma} band {band}");
                }
            }
        }
    }

    #[test]
    fn sigma_zero_is_identity_and_flat_stays_flat() {
        let mut rng = Rng::new(5);
        let img = rng.bytes(4 * 31 * 3);
        let mut out = vec![0u8; img.len()];
        gaussian_blur_rows(&mut out, &img, 31, 0, &[WEIGHT_ONE], &mut Vec::new()).unwrap();
        assert_eq!(out, img);
        let flat = vec![200u8; 4 * 10 * 10];
        let mut out = vec![0u8; 400];
        gaussian_blur_rows(&mut out, &flat, 10, 0, &weights(3.0), &mut Vec::new()).unwrap();
        assert!(out.iter().all(|&v| v == 200));
        let white = vec![255u8; 4 * 5 * 5];
        let mut o = vec![0u8; 100];
        gaussian_blur_rows(&mut o, &white, 5, 0, &weights(100.0), &mut Vec::new()).unwrap();
        assert!(o.iter().all(|&v| v == 255));
    }

    #[test]
    fn rejects_bad_shapes_and_weights() {
        let w = weights(1.0);
        let mut tmp = Vec::new();
        let img = vec![0u8; 4 * 4 * 4];
        assert!(gaussian_blur_rows(&mut [0u8; 15], &img, 4, 0, &w, &mut tmp).is_err());
        assert!(gaussian_blur_rows(&mut [0u8; 16], &img[..63], 4, 0, &w, &mut tmp).is_err());
        assert!(gaussian_blur_rows(&mut [0u8; 32], &img, 4, 3, &w, &mut tmp).is_err());
        assert!(gaussian_blur_rows(&mut [0u8; 16], &img, 0, 0, &w, &mut tmp).is_err());
        assert!(gaussian_blur_rows(&mut [], &[], 0, 0, &w, &mut tmp).is_ok());
        assert!(gaussian_blur_rows(&mut [0u8; 16], &img, 4, 0, &[1, 2], &mut tmp).is_err());
        assert!(gaussian_blur_rows(&mut [0u8; 16], &img, 4, 0, &[], &mut tmp).is_err());
        assert!(gaussian_blur_rows(&mut [0u8; 16], &img, 4, 0, &[u32::MAX, 1], &mut tmp).is_err());
    }
}
