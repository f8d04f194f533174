//! sabre's kernels natively: the hardware's practical limit that the
//! benchmark (bench/run.js) draws next to the wasm and pool figures.
//!
//! One run times one kernel at one size: first single-threaded on the whole
//! input in one call (`serial`), then with rayon on pools of each requested
//! thread count, over the same chunks as sabre's pool (the grain is computed
//! by the JavaScript spec and passed in, so both sides split alike). The data
//! is made in place by the same generator as bench/cases.js. Arguments are
//! `key=value` pairs; the output is one line of JSON on stdout:
//!
//! ```text
//! sabre-native-bench kernel=sum units=10000000 grain=262144 threads=1,2 \
//!     warmup=2 min=3 max=7 budget=2000
//! {"kernel":"sum","check":..., "runs":[{"mode":"serial","threads":1,"ms":[..]}, ..]}
//! ```
//!
//! The kernels are the portable Rust paths of `sabre::kernels` (the wasm
//! build picks explicit simd128 variants for some); rustc's default x86-64
//! target (SSE2, 128-bit vectors like wasm's simd128) unless bench/run.js was
//! asked for `-C target-cpu=native`.

use rayon::prelude::*;
use sabre::kernels::{bytes, kmeans, mandelbrot, map, matmul, nbody, primes, reduce, stencil};
use std::cell::RefCell;
use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

type Args = HashMap<String, String>;

fn arg<T: std::str::FromStr>(a: &Args, key: &str) -> T {
    let v = a
        .get(key)
        .unwrap_or_else(|| fail(&format!("missing argument {key}=")));
    v.parse()
        .unwrap_or_else(|_| fail(&format!("bad value {key}={v}")))
}

fn arg_or<T: std::str::FromStr>(a: &Args, key: &str, default: T) -> T {
    if a.contains_key(key) {
        arg(a, key)
    } else {
        default
    }
}

fn list<T: std::str::FromStr>(a: &Args, key: &str) -> Vec<T> {
    let v: String = arg(a, key);
    v.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .unwrap_or_else(|_| fail(&format!("bad value in {key}={v}")))
        })
        .collect()
}

fn fail(msg: &str) -> ! {
    eprintln!("sabre-native-bench: {msg}");
    std::process::exit(2)
}

fn ok<T>(r: sabre::error::Result<T>) -> T {
    r.unwrap_or_else(|e| fail(&format!("kernel error: {e}")))
}

/// The LCG of bench/cases.js: floats in [-0.5, 0.5), bytes from the top 8 bits.
struct Lcg(u32);
impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(1664525).wrapping_add(1013904223);
        self.0
    }
    fn f64s(seed: u32, n: usize) -> Vec<f64> {
        let mut g = Lcg(seed);
        (0..n)
            .map(|_| g.next() as f64 / 4294967296.0 - 0.5)
            .collect()
    }
    fn f32s(seed: u32, n: usize) -> Vec<f32> {
        Lcg::f64s(seed, n).into_iter().map(|v| v as f32).collect()
    }
    fn bytes(seed: u32, n: usize) -> Vec<u8> {
        let mut g = Lcg(seed);
        (0..n).map(|_| (g.next() >> 24) as u8).collect()
    }
}

/// How often to run a closure: warm-up runs, then at least `min` timed runs,
/// more (up to `max`) while the total stays under `budget` ms.
#[derive(Clone, Copy)]
struct Reps {
    warmup: usize,
    min: usize,
    max: usize,
    budget: f64,
}

fn time(reps: Reps, mut f: impl FnMut() -> f64) -> (Vec<f64>, f64) {
    let mut check = 0.0;
    for _ in 0..reps.warmup {
        check = black_box(f());
    }
    let mut ms = Vec::new();
    let mut total = 0.0;
    while ms.len() < reps.min || (ms.len() < reps.max && total < reps.budget) {
        let t0 = Instant::now();
        check = black_box(f());
        let t = t0.elapsed().as_secs_f64() * 1e3;
        total += t;
        ms.push(t);
    }
    (ms, check)
}

thread_local! {
    static SIEVE: RefCell<primes::Sieve> = RefCell::new(primes::Sieve::new());
    static HALF: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
    static CT: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static TMP: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

/// Chunks' compensated pairs merged in order, rounded once (as
/// js/chunks.js compensatedSum).
fn compensated(partials: &[reduce::Neumaier]) -> f64 {
    let mut n = reduce::Neumaier::default();
    for p in partials {
        n.merge(p);
    }
    n.value()
}

/// A kernel at one size: `call(grain)` runs the whole call once, chunked by
/// `grain` units with rayon (in the current pool), or in one piece when
/// `grain` is None; it returns a number to check against the wasm result.
type Call<'a> = Box<dyn FnMut(Option<usize>) -> f64 + Send + 'a>;

fn main() {
    let a: Args = std::env::args()
        .skip(1)
        .map(|s| match s.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => fail(&format!("arguments are key=value, got {s}")),
        })
        .collect();
    let kernel: String = arg(&a, "kernel");
    let units: usize = arg(&a, "units");
    let grain: usize = arg::<usize>(&a, "grain").max(1);
    let threads: Vec<usize> = list(&a, "threads");
    let reps = Reps {
        warmup: arg_or(&a, "warmup", 1),
        min: arg_or(&a, "min", 3),
        max: arg_or(&a, "max", 7),
        budget: arg_or(&a, "budget", 2000.0),
    };

    // Data lives here; each arm builds its closure over it.
    let mut call: Call = make_call(&kernel, units, &a);

    let mut runs = Vec::new();
    let (ms, check) = time(reps, || call(None));
    runs.push(format!(
        "{{\"mode\":\"serial\",\"threads\":1,\"ms\":{}}}",
        json_list(&ms)
    ));
    for &t in &threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .unwrap_or_else(|e| fail(&format!("rayon pool of {t}: {e}")));
        let (ms, _) = pool.install(|| time(reps, || call(Some(grain))));
        runs.push(format!(
            "{{\"mode\":\"rayon\",\"threads\":{t},\"ms\":{}}}",
            json_list(&ms)
        ));
    }
    println!(
        "{{\"kernel\":\"{kernel}\",\"units\":{units},\"grain\":{grain},\"check\":{},\"runs\":[{}]}}",
        json_num(check),
        runs.join(",")
    );
}

fn json_num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "null".into()
    }
}

fn json_list(v: &[f64]) -> String {
    format!(
        "[{}]",
        v.iter().map(|&x| json_num(x)).collect::<Vec<_>>().join(",")
    )
}

/// Splits `data` into chunks of `g` elements (one chunk if `g` is None) and
/// runs `f(chunk, first element index)` on each, in parallel when chunked.
fn par_map<T: Send>(data: &mut [T], g: Option<usize>, f: impl Fn(&mut [T], usize) + Sync) {
    match g {
        None => f(data, 0),
        Some(g) => data
            .par_chunks_mut(g)
            .enumerate()
            .for_each(|(i, c)| f(c, i * g)),
    }
}

/// Partial results of chunks of `g` units out of `units`, in chunk order.
fn par_reduce<R: Send>(
    units: usize,
    g: Option<usize>,
    f: impl Fn(usize, usize) -> R + Sync,
) -> Vec<R> {
    match g {
        None => vec![f(0, units)],
        Some(g) => (0..units.div_ceil(g).max(1))
            .into_par_iter()
            .map(|i| f(i * g, (i * g + g).min(units)))
            .collect(),
    }
}

fn make_call<'a>(kernel: &str, units: usize, a: &'a Args) -> Call<'a> {
    let n = units;
    match kernel {
        "scale" => {
            let mut x = Lcg::f32s(1, n);
            Box::new(move |g| {
                par_map(&mut x, g, |c, _| map::scale(c, 1.0001f32));
                x[0] as f64
            })
        }
        "axpy" => {
            let mut y = Lcg::f32s(2, n);
            let x = Lcg::f32s(3, n);
            Box::new(move |g| {
                par_map(&mut y, g, |c, s| {
                    ok(map::axpy(c, 0.5f32, &x[s..s + c.len()]))
                });
                y[0] as f64
            })
        }
        "axpby" => {
            let mut y = Lcg::f32s(2, n);
            let x = Lcg::f32s(3, n);
            Box::new(move |g| {
                par_map(&mut y, g, |c, s| {
                    ok(map::axpby(c, 0.5f32, &x[s..s + c.len()], 0.5f32))
                });
                y[0] as f64
            })
        }
        "clamp" => {
            let mut x = Lcg::f32s(4, n);
            Box::new(move |g| {
                par_map(&mut x, g, |c, _| ok(map::clamp(c, -0.25f32, 0.25f32)));
                x[0] as f64
            })
        }
        "abs" => {
            let mut x = Lcg::f32s(5, n);
            Box::new(move |g| {
                par_map(&mut x, g, |c, _| map::abs(c));
                x[0] as f64
            })
        }
        "invert" => {
            let mut b = Lcg::bytes(6, n);
            Box::new(move |g| {
                par_map(&mut b, g, |c, _| bytes::invert(c));
                b[0] as f64
            })
        }
        "threshold" => {
            let mut b = Lcg::bytes(7, n);
            Box::new(move |g| {
                par_map(&mut b, g, |c, _| ok(bytes::threshold(c, 128)));
                b[0] as f64
            })
        }
        "xorKey" => {
            let mut b = Lcg::bytes(8, n);
            let key = Lcg::bytes(9, arg_or(a, "keylen", 37));
            Box::new(move |g| {
                par_map(&mut b, g, |c, s| ok(bytes::xor_key(c, &key, s % key.len())));
                b[0] as f64
            })
        }
        // Units are pixels: chunks of 4 * grain bytes.
        "grayscale" => {
            let mut p = Lcg::bytes(10, 4 * n);
            Box::new(move |g| {
                par_map(&mut p, g.map(|g| 4 * g), |c, _| {
                    ok(bytes::grayscale_rgba(c))
                });
                p[0] as f64
            })
        }
        "brightnessContrast" => {
            let mut p = Lcg::bytes(11, 4 * n);
            let (br, cq): (i32, u32) = (arg_or(a, "brightness", 10), arg_or(a, "contrastq8", 307));
            Box::new(move |g| {
                par_map(&mut p, g.map(|g| 4 * g), |c, _| {
                    ok(bytes::brightness_contrast(c, br, cq))
                });
                p[0] as f64
            })
        }
        "sum" => {
            let x = Lcg::f64s(12, n);
            Box::new(move |g| compensated(&par_reduce(n, g, |s, t| reduce::sum(&x[s..t]))))
        }
        "dot" => {
            let (x, y) = (Lcg::f64s(13, n), Lcg::f64s(14, n));
            Box::new(move |g| {
                compensated(&par_reduce(n, g, |s, t| {
                    ok(reduce::dot(&x[s..t], &y[s..t]))
                }))
            })
        }
        "min" => {
            let x = Lcg::f64s(15, n);
            Box::new(move |g| {
                par_reduce(n, g, |s, t| reduce::min(&x[s..t]))
                    .into_iter()
                    .fold(f64::INFINITY, reduce::js_min)
            })
        }
        "max" => {
            let x = Lcg::f64s(16, n);
            Box::new(move |g| {
                par_reduce(n, g, |s, t| reduce::max(&x[s..t]))
                    .into_iter()
                    .fold(f64::NEG_INFINITY, reduce::js_max)
            })
        }
        "meanVariance" => {
            let x = Lcg::f64s(17, n);
            Box::new(move |g| {
                let p = par_reduce(n, g, |s, t| reduce::Stats::of(&x[s..t]));
                let st = p.iter().skip(1).fold(p[0], |acc, o| acc.merge(o));
                st.m2 / st.n
            })
        }
        "histogram" => {
            let b = Lcg::bytes(18, n);
            Box::new(move |g| {
                let p = par_reduce(n, g, |s, t| {
                    let mut counts = [0u64; 256];
                    reduce::histogram(&b[s..t], &mut counts);
                    counts
                });
                let mut total = [0u64; 256];
                for c in &p {
                    for (t, v) in total.iter_mut().zip(c) {
                        *t += v;
                    }
                }
                total[0] as f64
            })
        }
        "linearRegression" => {
            let (x, y) = (Lcg::f64s(19, n), Lcg::f64s(20, n));
            Box::new(move |g| {
                let p = par_reduce(n, g, |s, t| ok(reduce::Moments::of(&x[s..t], &y[s..t])));
                let m = p.iter().skip(1).fold(p[0], |acc, o| acc.merge(o));
                m.cxy / m.m2x
            })
        }
        // Units are numbers of the range [lo, lo + units).
        "countPrimes" => {
            let lo: u64 = arg_or(a, "lo", 0);
            Box::new(move |g| {
                par_reduce(n, g, |s, t| {
                    SIEVE.with(|sv| ok(sv.borrow_mut().count(lo + s as u64, lo + t as u64)))
                })
                .into_iter()
                .sum::<u64>() as f64
            })
        }
        "markPrimes" => {
            let lo: u64 = arg_or(a, "lo", 0);
            let mut out = vec![0u8; n];
            Box::new(move |g| {
                let count = std::sync::atomic::AtomicU64::new(0);
                par_map(&mut out, g, |c, s| {
                    let k = SIEVE.with(|sv| ok(sv.borrow_mut().mark(c, lo + s as u64)));
                    count.fetch_add(k, std::sync::atomic::Ordering::Relaxed);
                });
                count.into_inner() as f64
            })
        }
        // Units are rows.
        "mandelbrot" => {
            let view = mandelbrot::View {
                width: arg(a, "width"),
                height: n as u32,
                x_min: arg_or(a, "xmin", -2.0),
                x_max: arg_or(a, "xmax", 0.6),
                y_min: arg_or(a, "ymin", -1.3),
                y_max: arg_or(a, "ymax", 1.3),
                max_iter: arg_or(a, "maxiter", 256),
            };
            let w = view.width as usize;
            let mut out = vec![0u8; w * n];
            Box::new(move |g| {
                par_map(&mut out, g.map(|g| g * w), |c, s| {
                    ok(mandelbrot::render(c, &view, (s / w) as u32))
                });
                out.iter().map(|&v| v as f64).sum()
            })
        }
        "gaussianBlur" => {
            let width: usize = arg(a, "width");
            let weights: Vec<u32> = list(a, "weights");
            let r = weights.len() - 1;
            let row = 4 * width;
            let input = Lcg::bytes(21, row * n);
            let mut out = vec![0u8; row * n];
            Box::new(move |g| {
                par_map(&mut out, g.map(|g| g * row), |c, s| {
                    let (s, t) = (s / row, s / row + c.len() / row);
                    let (lo, hi) = (s.saturating_sub(r), (t + r).min(n));
                    TMP.with(|tmp| {
                        ok(stencil::gaussian_blur_rows(
                            c,
                            &input[lo * row..hi * row],
                            width,
                            s - lo,
                            &weights,
                            &mut tmp.borrow_mut(),
                        ))
                    })
                });
                out[row * n / 2] as f64
            })
        }
        // Units are rows of C; m = units, k and n given.
        "matmul" => {
            let (m, k, nn): (usize, usize, usize) = (n, arg(a, "k"), arg(a, "n"));
            let am = Lcg::f32s(22, m * k);
            let bm = Lcg::f32s(23, k * nn);
            let mut c = vec![0f32; m * nn];
            Box::new(move |g| {
                par_map(&mut c, g.map(|g| g * nn), |cc, s| {
                    let (s, rows) = (s / nn, cc.len() / nn);
                    ok(matmul::matmul_f32(
                        cc,
                        &am[s * k..(s + rows) * k],
                        &bm,
                        rows,
                        k,
                        nn,
                    ))
                });
                c[0] as f64
            })
        }
        // Units are bodies; every chunk reads the old state, then all write.
        "nbodyStep" => {
            let mut pos = Lcg::f64s(24, 3 * n);
            let mut vel: Vec<f64> = Lcg::f64s(25, 3 * n).iter().map(|v| v * 0.01).collect();
            let mass: Vec<f64> = Lcg::f64s(26, n).iter().map(|v| v + 1.0).collect();
            let step = nbody::Step {
                dt: 1e-3,
                softening: 1e-2,
            };
            let mut out = vec![0f64; 6 * n];
            Box::new(move |g| {
                let chunk = g.unwrap_or(n);
                {
                    let (p, v, m) = (&pos, &vel, &mass);
                    let work = |(i, o): (usize, &mut [f64])| {
                        HALF.with(|h| {
                            ok(nbody::step(
                                o,
                                p,
                                v,
                                m,
                                i * chunk,
                                step,
                                &mut h.borrow_mut(),
                            ))
                        })
                    };
                    match g {
                        None => work((0, &mut out[..])),
                        Some(_) => out.par_chunks_mut(6 * chunk).enumerate().for_each(work),
                    }
                }
                // Each chunk's out holds its positions then its velocities.
                for (i, o) in out.chunks(6 * chunk).enumerate() {
                    let len = o.len() / 2;
                    pos[3 * i * chunk..3 * i * chunk + len].copy_from_slice(&o[..len]);
                    vel[3 * i * chunk..3 * i * chunk + len].copy_from_slice(&o[len..]);
                }
                pos[0]
            })
        }
        // Units are points.
        "kmeansStep" => {
            let (dims, k): (usize, usize) = (arg(a, "dims"), arg(a, "k"));
            let points = Lcg::f32s(27, n * dims);
            let mut centroids = points[..k * dims].to_vec();
            let mut labels = vec![u32::MAX; n];
            let plen = kmeans::partial_len(k, dims);
            Box::new(move |g| {
                let chunk = g.unwrap_or(n);
                let cents = &centroids;
                let pts = &points;
                let partials: Vec<Vec<f64>> = {
                    let work = |(i, l): (usize, &mut [u32])| {
                        let s = i * chunk;
                        let mut part = vec![0.0; plen];
                        CT.with(|ct| {
                            ok(kmeans::assign(
                                &pts[s * dims..(s + l.len()) * dims],
                                dims,
                                cents,
                                l,
                                &mut part,
                                &mut ct.borrow_mut(),
                            ))
                        });
                        part
                    };
                    match g {
                        None => vec![work((0, &mut labels[..]))],
                        Some(_) => labels.par_chunks_mut(chunk).enumerate().map(work).collect(),
                    }
                };
                let mut total = vec![0.0; plen];
                for p in &partials {
                    for (t, v) in total.iter_mut().zip(p) {
                        *t += v;
                    }
                }
                for j in 0..k {
                    let count = total[k * dims + j];
                    if count > 0.0 {
                        for d in 0..dims {
                            centroids[j * dims + d] = (total[j * dims + d] / count) as f32;
                        }
                    }
                }
                total[k * dims + k]
            })
        }
        other => fail(&format!("unknown kernel {other}")),
    }
}
