//! Gravity: one leapfrog step.

use super::export;
use crate::error::Error;
use crate::kernels::nbody;
use crate::scratch::view;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    // Half-step positions of all bodies, kept across chunks of one instance.
    static HALF: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

export! {
    /// `pos`: positions of all `n` bodies (3 n), `vel`: their velocities
    /// (3 n), `mass`: their masses (n). Returns the new positions then the
    /// new velocities of bodies `lo..hi` (6 (hi - lo) values).
    nbodyStep = fn nbody_step(n: usize, lo: usize, hi: usize, dt: f64, softening: f64) [pos, vel, mass] -> Vec<f64> {
        let count = hi.checked_sub(lo).ok_or_else(|| Error::OutOfRange {
            what: "bodies",
            detail: format!("hi {hi} < lo {lo}"),
        })?;
        let n3 = n.checked_mul(3).ok_or(Error::OutOfRange {
            what: "n",
            detail: "too large".into(),
        })?;
        let mut out = vec![0.0; 6 * count];
        HALF.with(|h| {
            nbody::step(
                &mut out,
                view::<f64>(pos, n3)?,
                view::<f64>(vel, n3)?,
                view::<f64>(mass, n)?,
                lo,
                nbody::Step { dt, softening },
                &mut h.borrow_mut(),
            )
        })?;
        Ok(out)
    }
}
