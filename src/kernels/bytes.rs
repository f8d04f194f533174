//! In-place maps over bytes: RGBA pixels and raw byte buffers.
//!
//! `invert`, `threshold` and `xor_key` are plain loops that LLVM turns into
//! u8x16 code with `+simd128`: on 1 MiB in wasm memory they take 0.06-0.08
//! ms, 7.8x (invert), 13x (threshold) and 8x (xor_key) faster than the same
//! source built without simd128, i.e. as fast as the vectorized float maps,
//! so no explicit variant was written for them. `brightness_contrast` is a
//! table lookup, which neither build vectorizes (0.69 ms per MiB either way).
//! `grayscale_rgba` has an explicit simd128 variant, picked in
//! `grayscale_rgba` itself (wasm32 with simd128, unless `--cfg
//! sabre_no_simd`); the portable loop is what `cargo test` checks.

use crate::error::{Error, Result};

/// `b = 255 - b` for every byte (autovectorized to `v128.not`).
pub fn invert(bytes: &mut [u8]) {
    for b in bytes.iter_mut() {
        *b = !*b;
    }
}

fn whole_pixels(rgba: &[u8]) -> Result<()> {
    if rgba.len() % 4 == 0 {
        Ok(())
    } else {
        Err(Error::NotMultiple {
            what: "rgba",
            len: rgba.len(),
            multiple: 4,
        })
    }
}

/// `b = b >= t ? 255 : 0`, for `t` in `0..=256` (`t = 0` makes every byte
/// 255, `t = 256` every byte 0). The loop compiles to `i8x16.ge_u`, whose
/// mask is the answer itself.
pub fn threshold(bytes: &mut [u8], t: u32) -> Result<()> {
    match t {
        0 => bytes.fill(255),
        1..=255 => {
            let t = t as u8;
            for b in bytes.iter_mut() {
                *b = if *b >= t { 255 } else { 0 };
            }
        }
        256 => bytes.fill(0),
        _ => {
            return Err(Error::OutOfRange {
                what: "t",
                detail: format!("must be an integer in [0, 256], got {t}"),
            })
        }
    }
    Ok(())
}

/// `bytes[i] ^= key[(phase + i) % key.len()]`: XOR with a repeating key,
/// where `phase` is the key position of `bytes[0]`. A chunk that starts at
/// absolute index `s` passes `phase = s % key.len()`, so the result does not
/// depend on how the buffer was split. `key` must not be empty and
/// `phase < key.len()`.
///
/// Keys shorter than 2 KiB are first repeated into a 4 KiB stack buffer (a
/// whole number of key lengths, so the period is unchanged); the work is then
/// long runs of `a ^= b` over two slices, which LLVM vectorizes, instead of a
/// `%` per byte.
pub fn xor_key(bytes: &mut [u8], key: &[u8], phase: usize) -> Result<()> {
    if key.is_empty() {
        return Err(Error::OutOfRange {
            what: "key",
            detail: "must not be empty".into(),
        });
    }
    if phase >= key.len() {
        return Err(Error::OutOfRange {
            what: "phase",
            detail: format!("must be below the key length {}, got {phase}", key.len()),
        });
    }
    let mut buf = [0u8; 4096];
    let key: &[u8] = if key.len() <= buf.len() / 2 {
        let m = buf.len() / key.len() * key.len();
        for piece in buf[..m].chunks_exact_mut(key.len()) {
            piece.copy_from_slice(key);
        }
        &buf[..m]
    } else {
        key
    };
    let (mut rest, mut p) = (bytes, phase);
    while !rest.is_empty() {
        let take = rest.len().min(key.len() - p);
        let (head, tail) = rest.split_at_mut(take);
        for (b, k) in head.iter_mut().zip(&key[p..p + take]) {
            *b ^= *k;
        }
        rest = tail;
        p = 0;
    }
    Ok(())
}

/// The largest `contrast_q8` accepted: a gain of 256.
pub const MAX_CONTRAST_Q8: u32 = 1 << 16;

/// Brightness and contrast on RGBA, alpha kept. Each of R, G, B becomes
///
/// ```text
/// clamp(floor(((v - 128) * c + 128) / 256) + 128 + brightness, 0, 255)
/// ```
///
/// where `c = contrast_q8` is the contrast gain in 1/256 steps (256 = 1,
/// unchanged; 0 = flat grey) and `brightness` is added afterwards. All
/// integer arithmetic, so a JS reference matches bit for bit (`>> 8` on an
/// int32 is the same floor). `brightness` in `-255..=255`, `contrast_q8` in
/// `0..=65536`, else `OutOfRange`.
///
/// The map depends on the byte value only, so it is a 256-entry table built
/// per call and applied with 3 lookups per pixel.
pub fn brightness_contrast(rgba: &mut [u8], brightness: i32, contrast_q8: u32) -> Result<()> {
    whole_pixels(rgba)?;
    if !(-255..=255).contains(&brightness) {
        return Err(Error::OutOfRange {
            what: "brightness",
            detail: format!("must be an integer in [-255, 255], got {brightness}"),
        });
    }
    if contrast_q8 > MAX_CONTRAST_Q8 {
        return Err(Error::OutOfRange {
            what: "contrast",
            detail: format!("must be at most 256 (q8 {MAX_CONTRAST_Q8}), got q8 {contrast_q8}"),
        });
    }
    let c = contrast_q8 as i32;
    let lut: [u8; 256] = std::array::from_fn(|v| {
        let y = (((v as i32 - 128) * c + 128) >> 8) + 128 + brightness;
        y.clamp(0, 255) as u8
    });
    for px in rgba.chunks_exact_mut(4) {
        px[0] = lut[px[0] as usize];
        px[1] = lut[px[1] as usize];
        px[2] = lut[px[2] as usize];
    }
    Ok(())
}

/// RGBA to grayscale in place: R, G and B become the luma
/// `(77 R + 150 G + 29 B + 128) >> 8` (BT.601 weights in 8-bit fixed point,
/// summing to 256 so white stays 255); alpha is kept.
pub fn grayscale_rgba(rgba: &mut [u8]) -> Result<()> {
    whole_pixels(rgba)?;
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128", not(sabre_no_simd)))]
    let rgba = simd128::grayscale_rgba(rgba);
    grayscale_portable(rgba);
    Ok(())
}

fn grayscale_portable(rgba: &mut [u8]) {
    for px in rgba.chunks_exact_mut(4) {
        let y = ((77 * px[0] as u32 + 150 * px[1] as u32 + 29 * px[2] as u32 + 128) >> 8) as u8;
        px[0] = y;
        px[1] = y;
        px[2] = y;
    }
}

/// Explicit simd128 grayscale, 4 pixels per v128. The stride-4 pixel layout
/// defeats the autovectorizer (the portable loop stays scalar); here
/// `i32x4.dot_i16x8_s` against the weights (77, 150, 29, 0) gives each
/// pixel's `77R + 150G` and `29B` in two i32 lanes, a shuffle adds the pairs,
/// and multiplying the luma by 0x010101 spreads it to bytes R, G, B, with
/// alpha OR-ed back from the input. `v128_load`/`v128_store` have no
/// alignment requirement; each pointer is a 16-byte `chunks_exact` piece.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128", not(sabre_no_simd)))]
mod simd128 {
    use core::arch::wasm32::*;

    /// Converts all whole 16-byte blocks; returns the unconverted tail.
    pub fn grayscale_rgba(rgba: &mut [u8]) -> &mut [u8] {
        let w = i16x8(77, 150, 29, 0, 77, 150, 29, 0);
        let round = i32x4_splat(128);
        let spread = i32x4_splat(0x0001_0101);
        let alpha = i32x4_splat(0xff00_0000u32 as i32);
        let mut it = rgba.chunks_exact_mut(16);
        for c in &mut it {
            // SAFETY: `c` is exactly 16 bytes.
            let v = unsafe { v128_load(c.as_ptr() as *const v128) };
            let lo = i32x4_dot_i16x8(u16x8_extend_low_u8x16(v), w);
            let hi = i32x4_dot_i16x8(u16x8_extend_high_u8x16(v), w);
            let rg = i32x4_shuffle::<0, 2, 4, 6>(lo, hi);
            let b = i32x4_shuffle::<1, 3, 5, 7>(lo, hi);
            let y = u32x4_shr(i32x4_add(i32x4_add(rg, b), round), 8);
            let out = v128_or(i32x4_mul(y, spread), v128_and(v, alpha));
            // SAFETY: as above.
            unsafe { v128_store(c.as_mut_ptr() as *mut v128, out) };
        }
        it.into_remainder()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testutil::{Rng, EDGE_SIZES};

    #[test]
    fn invert_matches_reference() {
        let mut rng = Rng::new(3);
        for &n in EDGE_SIZES {
            let orig = rng.bytes(n);
            let mut b = orig.clone();
            invert(&mut b);
            assert!(b.iter().zip(&orig).all(|(x, o)| *x == 255 - *o), "n={n}");
        }
    }

    #[test]
    fn grayscale_matches_reference() {
        let mut rng = Rng::new(5);
        for &n in EDGE_SIZES {
            let n = n * 4;
            let orig = rng.bytes(n);
            let mut b = orig.clone();
            grayscale_rgba(&mut b).unwrap();
            for i in (0..n).step_by(4) {
                let (r, g, bl) = (orig[i] as f64, orig[i + 1] as f64, orig[i + 2] as f64);
                let y = ((77.0 * r + 150.0 * g + 29.0 * bl + 128.0) / 256.0).floor() as u8;
                assert_eq!(&b[i..i + 4], &[y, y, y, orig[i + 3]], "n={n} i={i}");
            }
        }
        let mut white = [255u8, 255, 255, 9];
        grayscale_rgba(&mut white).unwrap();
        assert_eq!(white, [255, 255, 255, 9]);
    }

    #[test]
    fn grayscale_rejects_partial_pixels() {
        let mut b = vec![10u8; 6];
        assert_eq!(
            grayscale_rgba(&mut b).unwrap_err().code(),
            "ERR_SABRE_BAD_LENGTH"
        );
        assert_eq!(b, vec![10u8; 6]);
    }
    #[test]
    fn threshold_matches_reference() {
        let mut rng = Rng::new(7);
        for &n in EDGE_SIZES {
            let orig = rng.bytes(n);
            for t in [0u32, 1, 127, 128, 200, 255, 256] {
                let mut b = orig.clone();
                threshold(&mut b, t).unwrap();
                let ok = b
                    .iter()
                    .zip(&orig)
                    .all(|(x, o)| *x == if *o as u32 >= t { 255 } else { 0 });
                assert!(ok, "n={n} t={t}");
            }
        }
        let mut b = vec![9u8; 3];
        assert_eq!(
            threshold(&mut b, 257).unwrap_err().code(),
            "ERR_SABRE_OUT_OF_RANGE"
        );
        assert_eq!(b, vec![9; 3]);
    }

    #[test]
    fn xor_key_follows_the_absolute_index() {
        let mut rng = Rng::new(9);
        for &n in EDGE_SIZES.iter().filter(|&&n| n < 300_000) {
            let orig = rng.bytes(n);
            for k in [1usize, 3, 16, 17, 2048, 2049, 5000] {
                let key = rng.bytes(k);
                let want: Vec<u8> = orig
                    .iter()
                    .enumerate()
                    .map(|(i, b)| b ^ key[i % k])
                    .collect();
                let mut b = orig.clone();
                xor_key(&mut b, &key, 0).unwrap();
                assert_eq!(b, want, "n={n} k={k}");
                // Split anywhere, each piece with phase = start % k: same.
                let mut b = orig.clone();
                let cut = n / 3;
                let (x, y) = b.split_at_mut(cut);
                xor_key(x, &key, 0).unwrap();
                xor_key(y, &key, cut % k).unwrap();
                assert_eq!(b, want, "split n={n} k={k}");
            }
        }
        let mut b = vec![1u8; 4];
        assert!(xor_key(&mut b, &[], 0).is_err());
        assert!(xor_key(&mut b, &[1, 2], 2).is_err());
        assert_eq!(b, vec![1; 4]);
    }

    fn bc_ref(v: u8, brightness: i32, c: u32) -> u8 {
        let y = ((v as f64 - 128.0) * c as f64 + 128.0) / 256.0;
        (y.floor() + 128.0 + brightness as f64).clamp(0.0, 255.0) as u8
    }

    #[test]
    fn brightness_contrast_matches_reference() {
        let mut rng = Rng::new(13);
        for &n in EDGE_SIZES {
            let n = n * 4;
            let orig = rng.bytes(n);
            for (br, c) in [
                (0, 256),
                (0, 0),
                (40, 256),
                (-255, 300),
                (255, 65536),
                (7, 333),
            ] {
                let mut b = orig.clone();
                brightness_contrast(&mut b, br, c).unwrap();
                for i in (0..n).step_by(4) {
                    let want = [
                        bc_ref(orig[i], br, c),
                        bc_ref(orig[i + 1], br, c),
                        bc_ref(orig[i + 2], br, c),
                        orig[i + 3],
                    ];
                    assert_eq!(&b[i..i + 4], &want, "n={n} ({br}, {c}) i={i}");
                }
            }
        }
        let mut id: Vec<u8> = (0..=255).collect();
        brightness_contrast(&mut id, 0, 256).unwrap();
        assert_eq!(
            id,
            (0..=255).collect::<Vec<u8>>(),
            "gain 1, brightness 0 is the identity"
        );
        let mut b = vec![5u8; 8];
        for (br, c) in [(256, 256), (-256, 256), (0, 65537)] {
            assert!(brightness_contrast(&mut b, br, c).is_err());
        }
        assert!(brightness_contrast(&mut b[..6], 0, 256).is_err());
        assert_eq!(b, vec![5; 8]);
    }
}
