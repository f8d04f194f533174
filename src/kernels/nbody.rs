//! Direct-sum gravity (G = 1, Plummer softening): one step of the
//! drift-kick-drift leapfrog, a symplectic, time-reversible, second-order
//! integrator that needs one force evaluation per step:
//!
//! ```text
//! h      = dt / 2
//! half_i = pos_i + vel_i * h                       (drift, every body)
//! acc_i  = Σ_j m_j (half_j - half_i) / (r² √r²),   r² = |half_j - half_i|² + ε²
//! vel'_i = vel_i + acc_i * dt                      (kick)
//! pos'_i = half_i + vel'_i * h                     (drift)
//! ```
//!
//! A term with `r² == 0` (a body with itself when ε = 0, or two bodies at the
//! same place) contributes nothing. The energy this conserves (up to the
//! integrator's bounded oscillation) is `Σ m v²/2 - Σ_{i<j} m_i m_j / √(r² + ε²)`.
//!
//! Each chunk computes the new state of its own bodies from the OLD state of
//! all bodies, and returns it rather than writing it in place; the JS side
//! writes every chunk's result once all have finished, so no chunk ever reads
//! a position another chunk has already moved.
//!
//! Every body's sum runs over `j` in order with the operations written above
//! (each rounded to f64), whether it is computed alone or in a SIMD lane, so
//! the result is the same bits for any split and equals a plain JS loop.

use crate::error::{Error, Result};

/// The step's parameters, checked once.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub dt: f64,
    pub softening: f64,
}

/// Computes the new state of bodies `lo..lo + out.len() / 6`: `out` gets
/// their positions (x, y, z per body) then their velocities. `pos` and `vel`
/// hold all `n` bodies (3 values each), `mass` their masses. `half` is
/// scratch (grown as needed, reused across calls).
pub fn step(
    out: &mut [f64],
    pos: &[f64],
    vel: &[f64],
    mass: &[f64],
    lo: usize,
    s: Step,
    half: &mut Vec<f64>,
) -> Result<()> {
    let n = mass.len();
    if pos.len() != 3 * n {
        return Err(Error::LengthMismatch {
            what: "pos",
            expected: 3 * n,
            actual: pos.len(),
        });
    }
    if vel.len() != 3 * n {
        return Err(Error::LengthMismatch {
            what: "vel",
            expected: 3 * n,
            actual: vel.len(),
        });
    }
    if out.len() % 6 != 0 {
        return Err(Error::NotMultiple {
            what: "out",
            len: out.len(),
            multiple: 6,
        });
    }
    let count = out.len() / 6;
    if lo + count > n {
        return Err(Error::OutOfRange {
            what: "bodies",
            detail: format!("{lo} + {count} exceeds {n}"),
        });
    }
    if !(s.dt.is_finite() && s.softening >= 0.0 && s.softening.is_finite()) {
        return Err(Error::OutOfRange {
            what: "step",
            detail: "dt must be finite and softening finite and >= 0".into(),
        });
    }
    if count == 0 {
        return Ok(());
    }
    let h = s.dt * 0.5;
    // Half-step positions of every body, as three arrays (x, y, z) so a pair
    // of bodies loads as one f64x2.
    half.resize(3 * n, 0.0);
    let (hx, rest) = half.split_at_mut(n);
    let (hy, hz) = rest.split_at_mut(n);
    for j in 0..n {
        hx[j] = pos[3 * j] + vel[3 * j] * h;
        hy[j] = pos[3 * j + 1] + vel[3 * j + 1] * h;
        hz[j] = pos[3 * j + 2] + vel[3 * j + 2] * h;
    }
    let eps2 = s.softening * s.softening;
    let (out_pos, out_vel) = out.split_at_mut(3 * count);
    let mut k = 0;
    while k < count {
        // Two bodies at a time; an odd last body is computed alongside
        // itself and written once.
        let i0 = lo + k;
        let i1 = lo + (k + 1).min(count - 1);
        let acc = forces::pair(hx, hy, hz, mass, i0, i1, eps2);
        for (lane, i) in [i0, i1].into_iter().enumerate() {
            let b = i - lo;
            if lane == 1 && i1 == i0 {
                break;
            }
            let half_i = [hx[i], hy[i], hz[i]];
            for d in 0..3 {
                let v = vel[3 * i + d] + acc[lane][d] * s.dt;
                out_vel[3 * b + d] = v;
                out_pos[3 * b + d] = half_i[d] + v * h;
            }
        }
        k += 2;
    }
    Ok(())
}

/// The acceleration sums of two bodies. Portable version: two scalar lanes.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128", not(sabre_no_simd))))]
mod forces {
    #[inline(always)]
    pub fn pair(
        hx: &[f64],
        hy: &[f64],
        hz: &[f64],
        mass: &[f64],
        i0: usize,
        i1: usize,
        eps2: f64,
    ) -> [[f64; 3]; 2] {
        let mut acc = [[0.0; 3]; 2];
        for (lane, i) in [i0, i1].into_iter().enumerate() {
            let (xi, yi, zi) = (hx[i], hy[i], hz[i]);
            let [ax, ay, az] = &mut acc[lane];
            for j in 0..mass.len() {
                let dx = hx[j] - xi;
                let dy = hy[j] - yi;
                let dz = hz[j] - zi;
                let r2 = dx * dx + dy * dy + dz * dz + eps2;
                if r2 != 0.0 {
                    let f = mass[j] / (r2 * r2.sqrt());
                    *ax += f * dx;
                    *ay += f * dy;
                    *az += f * dz;
                }
            }
        }
        acc
    }
}

/// The acceleration sums of two bodies, one per f64x2 lane: each lane does
/// exactly the portable version's operations in the same order (IEEE sqrt
/// and division are correctly rounded in both), so the bits are the same.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128", not(sabre_no_simd)))]
mod forces {
    use core::arch::wasm32::*;

    #[inline(always)]
    pub fn pair(
        hx: &[f64],
        hy: &[f64],
        hz: &[f64],
        mass: &[f64],
        i0: usize,
        i1: usize,
        eps2: f64,
    ) -> [[f64; 3]; 2] {
        let xi = f64x2(hx[i0], hx[i1]);
        let yi = f64x2(hy[i0], hy[i1]);
        let zi = f64x2(hz[i0], hz[i1]);
        let e2 = f64x2_splat(eps2);
        let zero = f64x2_splat(0.0);
        let (mut ax, mut ay, mut az) = (zero, zero, zero);
        let n = mass.len();
        let (hx, hy, hz) = (&hx[..n], &hy[..n], &hz[..n]);
        for j in 0..n {
            let dx = f64x2_sub(f64x2_splat(hx[j]), xi);
            let dy = f64x2_sub(f64x2_splat(hy[j]), yi);
            let dz = f64x2_sub(f64x2_splat(hz[j]), zi);
            let r2 = f64x2_add(
                f64x2_add(
                    f64x2_add(f64x2_mul(dx, dx), f64x2_mul(dy, dy)),
                    f64x2_mul(dz, dz),
                ),
                e2,
            );
            let f = f64x2_div(f64x2_splat(mass[j]), f64x2_mul(r2, f64x2_sqrt(r2)));
            // r² == 0: the term is skipped. Adding +0 instead is the same,
            // because an accumulator that starts at +0 is never -0.
            let f = v128_and(f, f64x2_ne(r2, zero));
            ax = f64x2_add(ax, f64x2_mul(f, dx));
            ay = f64x2_add(ay, f64x2_mul(f, dy));
            az = f64x2_add(az, f64x2_mul(f, dz));
        }
        [
            [
                f64x2_extract_lane::<0>(ax),
                f64x2_extract_lane::<0>(ay),
                f64x2_extract_lane::<0>(az),
            ],
            [
                f64x2_extract_lane::<1>(ax),
                f64x2_extract_lane::<1>(ay),
                f64x2_extract_lane::<1>(az),
            ],
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testutil::Rng;

    /// Readable reference: the step written body by body.
    fn reference(pos: &mut [f64], vel: &mut [f64], mass: &[f64], dt: f64, eps: f64) {
        let n = mass.len();
        let h = dt * 0.5;
        let half: Vec<f64> = (0..3 * n).map(|i| pos[i] + vel[i] * h).collect();
        for i in 0..n {
            let mut a = [0.0f64; 3];
            for j in 0..n {
                let d = [
                    half[3 * j] - half[3 * i],
                    half[3 * j + 1] - half[3 * i + 1],
                    half[3 * j + 2] - half[3 * i + 2],
                ];
                let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2] + eps * eps;
                if r2 != 0.0 {
                    let f = mass[j] / (r2 * r2.sqrt());
                    for k in 0..3 {
                        a[k] += f * d[k];
                    }
                }
            }
            for k in 0..3 {
                vel[3 * i + k] += a[k] * dt;
                pos[3 * i + k] = half[3 * i + k] + vel[3 * i + k] * h;
            }
        }
    }

    fn run(pos: &mut [f64], vel: &mut [f64], mass: &[f64], dt: f64, eps: f64, band: usize) {
        let n = mass.len();
        let mut outs = Vec::new();
        let mut half = Vec::new();
        let mut lo = 0;
        while lo < n {
            let hi = (lo + band).min(n);
            let mut out = vec![0.0; 6 * (hi - lo)];
            step(
                &mut out,
                pos,
                vel,
                mass,
                lo,
                Step { dt, softening: eps },
                &mut half,
            )
            .unwrap();
            outs.push((lo, hi, out));
            lo = hi;
        }
        for (lo, hi, out) in outs {
            let c = 3 * (hi - lo);
            pos[3 * lo..3 * hi].copy_from_slice(&out[..c]);
            vel[3 * lo..3 * hi].copy_from_slice(&out[c..]);
        }
    }

    fn energy(pos: &[f64], vel: &[f64], mass: &[f64], eps: f64) -> f64 {
        let n = mass.len();
        let mut e = 0.0;
        for i in 0..n {
            let v2: f64 = (0..3).map(|k| vel[3 * i + k] * vel[3 * i + k]).sum();
            e += 0.5 * mass[i] * v2;
            for j in i + 1..n {
                let r2: f64 = (0..3)
                    .map(|k| (pos[3 * i + k] - pos[3 * j + k]).powi(2))
                    .sum();
                e -= mass[i] * mass[j] / (r2 + eps * eps).sqrt();
            }
        }
        e
    }

    #[test]
    fn matches_reference_in_any_split() {
        let mut rng = Rng::new(31);
        for n in [0, 1, 2, 3, 4, 5, 8, 17, 64] {
            for eps in [0.0, 0.05] {
                let pos0 = rng.f64s(3 * n);
                let vel0: Vec<f64> = rng.f64s(3 * n).iter().map(|v| v * 0.01).collect();
                let mass: Vec<f64> = (0..n).map(|_| rng.f64().abs() + 0.1).collect();
                let (mut pr, mut vr) = (pos0.clone(), vel0.clone());
                reference(&mut pr, &mut vr, &mass, 0.01, eps);
                for band in [1, 2, 3, 7, 1000] {
                    let (mut p, mut v) = (pos0.clone(), vel0.clone());
                    run(&mut p, &mut v, &mass, 0.01, eps, band);
                    assert_eq!(p, pr, "n={n} eps={eps} band={band}");
                    assert_eq!(v, vr, "n={n} eps={eps} band={band}");
                }
            }
        }
    }

    #[test]
    fn conserves_energy_and_momentum() {
        // A cold cluster of 20 bodies, 400 steps.
        let mut rng = Rng::new(9);
        let n = 20;
        let mut pos: Vec<f64> = (0..3 * n).map(|_| rng.f64()).collect();
        let mut vel: Vec<f64> = (0..3 * n).map(|_| rng.f64() * 0.1).collect();
        let mass: Vec<f64> = (0..n).map(|_| 0.5 + 0.5 * rng.f64().abs()).collect();
        let eps = 0.1;
        let e0 = energy(&pos, &vel, &mass, eps);
        let p0: Vec<f64> = (0..3)
            .map(|k| (0..n).map(|i| mass[i] * vel[3 * i + k]).sum())
            .collect();
        for _ in 0..400 {
            run(&mut pos, &mut vel, &mass, 1e-3, eps, 7);
        }
        let e1 = energy(&pos, &vel, &mass, eps);
        assert!(((e1 - e0) / e0).abs() < 1e-4, "energy {e0} -> {e1}");
        for k in 0..3 {
            let p1: f64 = (0..n).map(|i| mass[i] * vel[3 * i + k]).sum();
            assert!(
                (p1 - p0[k]).abs() < 1e-10,
                "momentum {k}: {} -> {p1}",
                p0[k]
            );
        }
    }

    #[test]
    fn rejects_bad_input() {
        let mut half = Vec::new();
        let st = Step {
            dt: 0.1,
            softening: 0.0,
        };
        let mut out = [0.0; 6];
        assert!(step(&mut out, &[0.0; 3], &[0.0; 3], &[1.0], 0, st, &mut half).is_ok());
        assert!(step(&mut out, &[0.0; 4], &[0.0; 3], &[1.0], 0, st, &mut half).is_err());
        assert!(step(&mut out, &[0.0; 3], &[0.0; 6], &[1.0], 0, st, &mut half).is_err());
        assert!(step(&mut out, &[0.0; 3], &[0.0; 3], &[1.0], 1, st, &mut half).is_err());
        assert!(step(
            &mut out[..5],
            &[0.0; 3],
            &[0.0; 3],
            &[1.0],
            0,
            st,
            &mut half
        )
        .is_err());
        let bad = Step {
            dt: f64::NAN,
            softening: 0.0,
        };
        assert!(step(&mut out, &[0.0; 3], &[0.0; 3], &[1.0], 0, bad, &mut half).is_err());
        let bad = Step {
            dt: 0.1,
            softening: -1.0,
        };
        assert!(step(&mut out, &[0.0; 3], &[0.0; 3], &[1.0], 0, bad, &mut half).is_err());
    }
}
