//! A user's own kernels: plain `#[wasm_bindgen]` functions over slices, built
//! with `wasm-pack build --target nodejs`. sabre hands each chunk of a shared
//! array to them; they need nothing from sabre.

use std::cell::RefCell;
use wasm_bindgen::prelude::*;

/// Runs once per wasm instance: with the standard panic hook installed, a
/// panic in a kernel rejects the caller's call with its message (sabre reads
/// what the hook reports), not just "unreachable".
#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

thread_local! {
    // State that lives across chunks: each pool worker has its own wasm
    // instance, so this is "per worker". `set_model` fills it once per
    // instance (from the declaration's `init`), and every chunk reuses it.
    static MODEL: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Loads the model: polynomial coefficients, constant term first.
#[wasm_bindgen]
pub fn set_model(coefficients: &[f64]) {
    MODEL.with(|m| *m.borrow_mut() = coefficients.to_vec());
}

/// `y[i] = model(x[i])` by Horner's rule. A map: sabre splits `x` and `y`
/// into chunks and writes each finished chunk of `y` back.
#[wasm_bindgen]
pub fn polyval(y: &mut [f64], x: &[f64]) -> Result<(), JsError> {
    if x.len() != y.len() {
        return Err(JsError::new("x and y must have the same length"));
    }
    MODEL.with(|m| {
        let c = m.borrow();
        if c.is_empty() {
            return Err(JsError::new("no model loaded: call set_model first"));
        }
        for (yi, &xi) in y.iter_mut().zip(x) {
            *yi = c.iter().rev().fold(0.0, |acc, &ci| acc * xi + ci);
        }
        Ok(())
    })
}

/// Sum of squares of one chunk. A reduction: the declaration says how two
/// chunk results combine (here, by adding).
#[wasm_bindgen]
pub fn sum_squares(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum()
}
