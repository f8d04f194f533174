//! In-place maps over bytes: RGBA pixels and raw byte buffers.

use crate::error::{Error, Result};

/// `b = 255 - b` for every byte.
pub fn invert(bytes: &mut [u8]) {
    for b in bytes.iter_mut() {
        *b = !*b;
    }
}

/// RGBA to grayscale in place: R, G and B become the luma
/// `(77 R + 150 G + 29 B + 128) >> 8` (BT.601 weights in 8-bit fixed point,
/// summing to 256 so white stays 255); alpha is kept.
pub fn grayscale_rgba(rgba: &mut [u8]) -> Result<()> {
    if rgba.len() % 4 != 0 {
        return Err(Error::NotMultiple {
            what: "rgba",
            len: rgba.len(),
            multiple: 4,
        });
    }
    for px in rgba.chunks_exact_mut(4) {
        let y = ((77 * px[0] as u32 + 150 * px[1] as u32 + 29 * px[2] as u32 + 128) >> 8) as u8;
        px[0] = y;
        px[1] = y;
        px[2] = y;
    }
    Ok(())
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
}
