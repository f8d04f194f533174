// sabre: hand-written public types.

export type FloatArray = Float32Array | Float64Array;
export type ByteArray = Uint8Array | Uint8ClampedArray;
export type SortableArray = Float64Array | Float32Array | Int32Array | Uint32Array;

/** The view of the complex plane that `mandelbrot` renders. */
export interface MandelbrotView {
  width: number;
  height: number;
  /** Default -2. */
  xMin?: number;
  /** Default 1. */
  xMax?: number;
  /** Default -1.5. */
  yMin?: number;
  /** Default 1.5. */
  yMax?: number;
  /** Default 256. */
  maxIter?: number;
}

export interface MeanVariance {
  mean: number;
  /** Population variance, sum((x - mean)^2) / n. */
  variance: number;
  /** Sample (unbiased) variance, sum((x - mean)^2) / (n - 1); NaN when n < 2. */
  sampleVariance: number;
  /** Number of elements. */
  n: number;
}

export interface LinearFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination. */
  r2: number;
  /** Number of points. */
  n: number;
}

/** The kernels, as called directly (synchronous, on the calling thread). */
export interface DirectKernels {
  /** x[i] = a * x[i]; returns x. */
  scale<T extends FloatArray>(x: T, a: number): T;
  /** y[i] = a * x[i] + y[i]; returns y. */
  axpy<T extends FloatArray>(y: T, a: number, x: T): T;
  /** y[i] = a * x[i] + b * y[i] (not fused: each operation rounded, like JS); returns y. */
  axpby<T extends FloatArray>(y: T, a: number, x: T, b: number): T;
  /**
   * x[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i]; NaN stays NaN. RangeError
   * if lo or hi is NaN or lo > hi. Returns x.
   */
  clamp<T extends FloatArray>(x: T, lo: number, hi: number): T;
  /** x[i] = Math.abs(x[i]) (-0 becomes 0, NaN stays NaN); returns x. */
  abs<T extends FloatArray>(x: T): T;
  /** b = 255 - b; returns bytes. */
  invert<T extends ByteArray>(bytes: T): T;
  /** RGBA to grayscale in place (BT.601 luma, alpha kept); returns rgba. */
  grayscale<T extends ByteArray>(rgba: T): T;
  /**
   * Brightness and contrast on RGBA in place, alpha kept; returns rgba. Each of
   * R, G, B becomes clamp(((v - 128) * c + 128 >> 8) + 128 + brightness, 0, 255),
   * with c = Math.round(contrast * 256). brightness: integer in [-255, 255];
   * contrast: gain in [0, 256] (1 = unchanged, 0 = flat grey).
   */
  brightnessContrast<T extends ByteArray>(rgba: T, brightness: number, contrast: number): T;
  /** b = b >= t ? 255 : 0, t an integer in [0, 256]; returns bytes. */
  threshold<T extends ByteArray>(bytes: T, t: number): T;
  /**
   * bytes[i] ^= key[i % key.length] (key not empty, not overlapping bytes);
   * returns bytes. On a pool, a key not on a SharedArrayBuffer is copied once.
   */
  xorKey<T extends ByteArray>(bytes: T, key: ByteArray): T;
  /** Compensated (Neumaier) sum. */
  sum(x: FloatArray): number;
  /** Compensated (Neumaier) sum of x[i] * y[i] (products in f64). */
  dot<T extends FloatArray>(x: T, y: T): number;
  /** Smallest element, with Math.min's rules: any NaN gives NaN, -0 < 0, empty gives Infinity. */
  min(x: FloatArray): number;
  /** Largest element, with Math.max's rules: any NaN gives NaN, 0 > -0, empty gives -Infinity. */
  max(x: FloatArray): number;
  /** Mean, population and sample variance (all NaN when x is empty). */
  meanVariance(x: FloatArray): MeanVariance;
  /** counts[b] = number of bytes equal to b, for b in 0..255 (256 entries). */
  histogram(bytes: ByteArray): Float64Array;
  /** Least-squares fit of y = slope * x + intercept. */
  linearRegression<T extends FloatArray>(x: T, y: T): LinearFit;
  /** Number of primes p with lo <= p < hi (hi <= 2^53 + 1). */
  countPrimes(lo: number, hi: number): number;
  /** out[i] = 1 if lo + i is prime, else 0; returns the number of primes. */
  markPrimes(out: Uint8Array, lo: number): number;
  /** Renders escape times (0-255, 255 = in the set) into out; returns out. */
  mandelbrot(out: Uint8Array, view: MandelbrotView): Uint8Array;
  /**
   * Sorts x in place, exactly like x.sort() without a comparator; returns x.
   * Floats: -Infinity < ... < -0 < +0 < ... < Infinity < NaN (every NaN
   * last, whatever its sign or payload; NaNs come out as the canonical NaN).
   * Uses 2 * x.byteLength of scratch memory when x is longer than one chunk.
   * On a pool, an aborted, timed-out or failed sort leaves x either
   * unchanged or completely sorted: always a permutation of its values.
   */
  sort<T extends SortableArray>(x: T): T;
}

export interface Progress {
  /** Units of work done so far (elements, pixels, rows or numbers). */
  done: number;
  total: number;
  chunksDone: number;
  chunks: number;
}

/** Per-call options, passed after a kernel's own arguments on a pool. */
export interface CallOptions {
  /** Aborting drops queued chunks; chunks in flight are not written back. */
  signal?: AbortSignal;
  /** Milliseconds of run time (from the first chunk's start, not from enqueue). */
  timeout?: number;
  /** Called after each chunk completes. */
  onProgress?: (progress: Progress) => void;
}

type Promised<F> = F extends (...args: infer A) => infer R ? (...args: [...A, CallOptions?]) => Promise<R> : never;

/** The same kernels on a pool: same arguments, plus options; return Promises. */
export type PoolKernels = { [K in keyof DirectKernels]: Promised<DirectKernels[K]> };

export interface PoolOptions {
  /** Worker threads. Default: os.availableParallelism(). */
  threads?: number;
  /** Calls that may wait for their first chunk before new calls reject. Default Infinity. */
  maxQueue?: number;
  /** Passed to each Worker. */
  resourceLimits?: import('node:worker_threads').ResourceLimits;
}

export interface WorkerExitEvent {
  threadId: number;
  code: number;
  /** crash: died on its own; timeout: ended for a call's time limit; idle: retired above threads.min; shutdown: close/destroy. */
  reason: 'crash' | 'timeout' | 'idle' | 'shutdown';
}

export class Pool implements AsyncDisposable {
  constructor(options?: PoolOptions);
  readonly kernels: PoolKernels;
  /** Current number of worker threads. */
  readonly threads: number;
  /** Calls waiting for their first chunk to start. */
  readonly queueSize: number;
  on(event: 'workerExit', listener: (e: WorkerExitEvent) => void): this;
  on(event: 'workerError', listener: (err: Error) => void): this;
  on(event: 'idle', listener: () => void): this;
  off(event: string, listener: (...args: any[]) => void): this;
  /** Stops accepting calls, finishes queued ones, then ends the workers. */
  close(): Promise<void>;
  /** Rejects every pending call and ends the workers now. */
  destroy(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export const kernels: DirectKernels;

/** Typed arrays on a SharedArrayBuffer, which pool workers write in place. */
export const shared: {
  float32(length: number): Float32Array;
  float64(length: number): Float64Array;
  int32(length: number): Int32Array;
  uint32(length: number): Uint32Array;
  uint8(length: number): Uint8Array;
  uint8Clamped(length: number): Uint8ClampedArray;
  /** A shared copy of a typed array (same class) or of numbers as `Type`. */
  from<T extends ArrayBufferView>(source: T): T;
  from<C extends { new (buffer: SharedArrayBuffer): ArrayBufferView }>(source: ArrayLike<number>, Type: C): InstanceType<C>;
  isShared(view: unknown): boolean;
};

export class SabreError extends Error {
  code: string;
}
/** A kernel panicked or trapped; the message is the panic's. */
export class KernelError extends SabreError {}
/** A worker died twice on the same chunk; `kernel`, `start`, `end` name it. */
export class WorkerCrashError extends SabreError {
  kernel: string;
  start: number;
  end: number;
}
export class TimeoutError extends SabreError {}
export class QueueFullError extends SabreError {}
export class PoolClosedError extends SabreError {}
export class AbortError extends Error {
  code: 'ABORT_ERR';
}

declare const sabre: {
  kernels: typeof kernels;
  Pool: typeof Pool;
  shared: typeof shared;
  SabreError: typeof SabreError;
  KernelError: typeof KernelError;
  WorkerCrashError: typeof WorkerCrashError;
  TimeoutError: typeof TimeoutError;
  QueueFullError: typeof QueueFullError;
  PoolClosedError: typeof PoolClosedError;
  AbortError: typeof AbortError;
};
export default sabre;
