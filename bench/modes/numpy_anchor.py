"""The numpy anchor of sabre's benchmark: what a user who left Node for
numpy/OpenBLAS would get, on the same sizes. A long-lived process driven by
bench/modes/anchors.js, one JSON request per line on stdin, one JSON reply
per line on stdout, so its runs interleave with sabre's rep by rep:

  {"op": "setup", "kernel": "scale", "n": 10000000, "threads": 2}
  {"op": "run"}          -> {"ms": 2.31}   one timed run (perf_counter)
  {"op": "info"}         -> numpy version and threadpoolctl's BLAS report

Inputs are numpy's own random data of the kernel's shape and element type
(f32 for the maps and matmul, f64 for the reductions, as in bench/cases.js),
except sort's, which is sabre's own data (lcg_f64); in-place kernels work in
place (out=), as sabre's do.
"""

import json
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

rng = np.random.default_rng(1)
state = {}


def f32(n):
    return rng.random(n, dtype=np.float32) * 2 - 1


def f64(n):
    return rng.random(n) * 2 - 1


def lcg_f64(n, seed):
    """bench/cases.js's floats(Float64Array, n, seed), element for element:
    s = s * 1664525 + 1013904223 mod 2^32, then s / 2^32 - 0.5. Vectorised:
    s_i = a^i s_0 + c (a^0 + ... + a^(i-1)) mod 2^32, the powers and their
    sums wrapping mod 2^64 (a multiple of 2^32) in uint64."""
    a, c = np.uint64(1664525), np.uint64(1013904223)
    p = np.full(n + 1, a, dtype=np.uint64)
    p[0] = 1
    p = np.cumprod(p)  # a^j, j = 0..n
    g = np.cumsum(p[:-1])  # a^0 + ... + a^(i-1), i = 1..n
    s = (p[1:] * np.uint64(seed) + c * g) & np.uint64(0xFFFFFFFF)
    return s.astype(np.float64) / 2.0**32 - 0.5


def setup(kernel, n):
    """A function of no arguments that runs `kernel` once on fresh-enough data."""
    if kernel == "scale":
        x = f32(n)
        a = np.float32(1.0001)
        return lambda: np.multiply(x, a, out=x)
    if kernel == "axpy":
        y, x = f32(n), f32(n)
        a = np.float32(0.5)
        tmp = np.empty_like(x)
        # y += a * x without a temporary per call (numpy has no fused axpy).
        return lambda: (np.multiply(x, a, out=tmp), np.add(y, tmp, out=y))
    if kernel == "clamp":
        x = f32(n)
        return lambda: np.clip(x, -0.25, 0.25, out=x)
    if kernel == "abs":
        x = f32(n)
        return lambda: np.abs(x, out=x)
    if kernel == "sqrt":
        x = np.abs(f32(n))
        return lambda: np.sqrt(x, out=x)
    if kernel == "sum":
        x = f64(n)
        return lambda: float(np.sum(x))
    if kernel == "dot":
        x, y = f64(n), f64(n)
        return lambda: float(np.dot(x, y))
    if kernel == "matmul":
        a, b = f32(n * n).reshape(n, n), f32(n * n).reshape(n, n)
        c = np.empty((n, n), dtype=np.float32)
        return lambda: np.matmul(a, b, out=c)
    if kernel == "sort":
        # The very data sabre sorts (bench/cases.js, seed 29): a radix sort's
        # time depends on the bits the values use (these have 32), a
        # comparison sort's hardly.
        data = lcg_f64(n, 29)
        x = np.empty_like(data)

        def reset():
            x[:] = data  # the unsorted data again, before each timed run

        state["reset"] = reset
        return lambda: x.sort()
    raise ValueError(f"no numpy anchor for {kernel}")


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    for line in sys.stdin:
        req = json.loads(line)
        op = req["op"]
        try:
            if op == "setup":
                state.clear()
                state["limits"] = threadpool_limits(limits=int(req["threads"]))
                state["fn"] = setup(req["kernel"], int(req["n"]))
                reply({"ok": True})
            elif op == "run":
                if "reset" in state:
                    state["reset"]()
                t0 = time.perf_counter()
                state["fn"]()
                reply({"ms": (time.perf_counter() - t0) * 1000})
            elif op == "info":
                blas = [
                    {k: i.get(k) for k in ("internal_api", "version", "num_threads", "architecture", "threading_layer")}
                    for i in threadpool_info()
                ]
                reply({"numpy": np.__version__, "blas": blas})
            else:
                reply({"error": f"unknown op {op}"})
        except Exception as e:  # the bench shows it as a note
            reply({"error": f"{type(e).__name__}: {e}"})


if __name__ == "__main__":
    main()
