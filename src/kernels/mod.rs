//! Pure kernels over slices. None of them allocates in a loop or panics on
//! user input: bad shapes come back as `Error`.

pub mod bytes;
pub mod kmeans;
pub mod mandelbrot;
pub mod map;
pub mod matmul;
pub mod nbody;
pub mod primes;
pub mod reduce;
pub mod sort;
pub mod stencil;

#[cfg(test)]
pub(crate) mod testutil;
