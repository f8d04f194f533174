//! Mandelbrot set rendered into a byte per pixel, row by row: a compute-bound
//! kernel whose rows are independent, so the pool splits it by bands of rows.

use crate::error::{Error, Result};
use serde::Deserialize;

/// The view to render. `x_min..x_max` spans the image width, `y_min..y_max`
/// its height; pixel (col, row) samples the point at its top-left corner.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct View {
    pub width: u32,
    pub height: u32,
    pub x_min: f64,
    pub x_max: f64,
    pub y_min: f64,
    pub y_max: f64,
    pub max_iter: u32,
}

impl View {
    pub fn check(&self) -> Result<()> {
        if self.max_iter == 0 {
            return Err(Error::OutOfRange {
                what: "maxIter",
                detail: "must be at least 1".into(),
            });
        }
        if !(self.x_min.is_finite()
            && self.x_max.is_finite()
            && self.y_min.is_finite()
            && self.y_max.is_finite())
        {
            return Err(Error::OutOfRange {
                what: "view",
                detail: "xMin, xMax, yMin and yMax must be finite".into(),
            });
        }
        Ok(())
    }
}

/// Escape-time value of one point: `floor(255 * k / max_iter)` where `k` is
/// the number of iterations before |z| > 2 (`max_iter` if it never escapes),
/// so points in the set are 255.
#[inline]
fn shade(cx: f64, cy: f64, max_iter: u32) -> u8 {
    let (mut x, mut y) = (0.0f64, 0.0f64);
    let mut k = 0;
    while k < max_iter {
        let x2 = x * x;
        let y2 = y * y;
        if x2 + y2 > 4.0 {
            break;
        }
        y = 2.0 * x * y + cy;
        x = x2 - y2 + cx;
        k += 1;
    }
    ((255 * k as u64) / max_iter as u64) as u8
}

/// Renders rows `row0 .. row0 + out.len() / width` of `view` into `out`.
pub fn render(out: &mut [u8], view: &View, row0: u32) -> Result<()> {
    view.check()?;
    let w = view.width as usize;
    if w == 0 {
        return if out.is_empty() {
            Ok(())
        } else {
            Err(Error::OutOfRange {
                what: "width",
                detail: "is 0 but the output is not empty".into(),
            })
        };
    }
    if out.len() % w != 0 {
        return Err(Error::NotMultiple {
            what: "out",
            len: out.len(),
            multiple: w,
        });
    }
    let rows = (out.len() / w) as u64;
    if row0 as u64 + rows > view.height as u64 {
        return Err(Error::OutOfRange {
            what: "rows",
            detail: format!("{row0} + {rows} exceeds height {}", view.height),
        });
    }
    let dx = (view.x_max - view.x_min) / view.width as f64;
    let dy = (view.y_max - view.y_min) / view.height as f64;
    for (r, line) in out.chunks_exact_mut(w).enumerate() {
        let cy = view.y_min + (row0 as f64 + r as f64) * dy;
        for (c, px) in line.iter_mut().enumerate() {
            *px = shade(view.x_min + c as f64 * dx, cy, view.max_iter);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(width: u32, height: u32) -> View {
        View {
            width,
            height,
            x_min: -2.0,
            x_max: 1.0,
            y_min: -1.5,
            y_max: 1.5,
            max_iter: 200,
        }
    }

    /// Readable reference: complex iteration written out point by point.
    fn reference(v: &View) -> Vec<u8> {
        let mut out = Vec::new();
        for row in 0..v.height {
            for col in 0..v.width {
                let cx = v.x_min + col as f64 * ((v.x_max - v.x_min) / v.width as f64);
                let cy = v.y_min + row as f64 * ((v.y_max - v.y_min) / v.height as f64);
                let (mut zr, mut zi) = (0.0f64, 0.0f64);
                let mut k = 0;
                while k < v.max_iter && zr * zr + zi * zi <= 4.0 {
                    let nzi = 2.0 * zr * zi + cy;
                    zr = zr * zr - zi * zi + cx;
                    zi = nzi;
                    k += 1;
                }
                out.push((255 * k as u64 / v.max_iter as u64) as u8);
            }
        }
        out
    }

    #[test]
    fn matches_reference_in_any_band_split() {
        for (w, h) in [(0, 0), (1, 1), (3, 2), (17, 9), (64, 48)] {
            let v = view(w, h);
            let want = reference(&v);
            let mut whole = vec![0u8; (w * h) as usize];
            render(&mut whole, &v, 0).unwrap();
            assert_eq!(whole, want, "{w}x{h}");
            if h > 1 {
                let mut split = vec![0u8; (w * h) as usize];
                let cut = (h / 2 * w) as usize;
                let (a, b) = split.split_at_mut(cut);
                render(a, &v, 0).unwrap();
                render(b, &v, h / 2).unwrap();
                assert_eq!(split, want);
            }
        }
        // Worked by hand: 0 never escapes (255); 2 and 2i reach |z|² = 4 after
        // one step and escape on the second (k = 2); 2+2i escapes on the
        // first (k = 1).
        let v = View {
            x_min: 0.0,
            x_max: 4.0,
            y_min: 0.0,
            y_max: 4.0,
            ..view(2, 2)
        };
        let mut out = [0u8; 4];
        render(&mut out, &v, 0).unwrap();
        assert_eq!(out, [255, 2, 2, 1]);
    }

    #[test]
    fn rejects_bad_shapes() {
        let v = view(4, 4);
        assert!(render(&mut [0u8; 5], &v, 0).is_err());
        assert!(render(&mut [0u8; 8], &v, 3).is_err());
        assert!(render(&mut [0u8; 4], &View { max_iter: 0, ..v }, 0).is_err());
        assert!(render(
            &mut [0u8; 4],
            &View {
                x_max: f64::NAN,
                ..v
            },
            0
        )
        .is_err());
    }
}
