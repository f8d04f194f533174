// sabre: hand-written public types. They stand alone: no @types/node and no
// DOM lib needed. Where either declares AbortSignal, that type is used; the
// Pool's event methods are declared below in the shape of Node's
// EventEmitter, so a Pool is accepted where one is expected
// (`events.once(pool, 'drain')`); and Symbol.asyncDispose is declared as
// TypeScript's esnext.disposable lib and @types/node both declare it, for
// a project whose lib has neither.

declare global {
  interface SymbolConstructor {
    readonly asyncDispose: unique symbol;
  }
  interface AsyncDisposable {
    [Symbol.asyncDispose](): PromiseLike<void>;
  }
}

/** The global AbortSignal (Node's or the DOM's) if the project declares one; else what sabre reads of it. */
export type AbortSignalType = typeof globalThis extends { AbortSignal: { prototype: infer S } }
  ? S
  : { readonly aborted: boolean; readonly reason: unknown };

/** Node's worker resource limits (MB), the fields sabre accepts. */
export interface ResourceLimits {
  maxOldGenerationSizeMb?: number;
  maxYoungGenerationSizeMb?: number;
  codeRangeSizeMb?: number;
  stackSizeMb?: number;
}

type Listener = (...args: any[]) => void;

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

/** What one k-means iteration (kmeansStep) reports. */
export interface KMeansStep {
  /** Sum of squared distances of the points to the centroids they were assigned to (before the update). */
  inertia: number;
  /** Labels that differ from the ones passed in. */
  changed: number;
  /** Clusters that got no point (their centroids are left as they were). */
  empty: number;
}

/** Options of the kmeans helper. */
export interface KMeansOptions {
  /** Default 100. */
  maxIter?: number;
  /** Stop when an iteration lowers the inertia by at most tol times its previous value; 0: until no label moves. Default 1e-4. */
  tol?: number;
  /** Seed of the initialisation. Default 1. */
  seed?: number;
  /** 'kmeans++' (default), 'random' (k distinct points) or k * dims starting centroids. */
  init?: 'kmeans++' | 'random' | Float32Array;
}

export interface KMeansResult {
  /** k x dims, on a SharedArrayBuffer. */
  centroids: Float32Array;
  /** One per point, on a SharedArrayBuffer. */
  labels: Int32Array;
  inertia: number;
  empty: number;
  iterations: number;
  converged: boolean;
}

/** How kernels are called: directly (synchronous), on a pool or on a cluster (Promises). */
export type CallMode = 'direct' | 'pool' | 'cluster';
/** A kernel's result in mode M: R directly, a Promise of R on a pool or a cluster. */
export type Returns<M extends CallMode, R> = M extends 'direct' ? R : Promise<R>;
/** A kernel's arguments after its own in mode M: optional DirectOptions directly, CallOptions on a pool, ClusterCallOptions on a cluster. */
export type Extra<M extends CallMode> = M extends 'pool' ? [options?: CallOptions] : M extends 'cluster' ? [options?: ClusterCallOptions] : [options?: DirectOptions];

/** A direct call's options. */
export interface DirectOptions {
  /**
   * false: an in-place map on arrays that sabre.shared allocated writes
   * straight into them, without its undo copy (README, "Shared arrays").
   * Default true. Changes nothing on other arrays.
   */
  transactional?: boolean;
  /**
   * true: matmul's fused mode, one `f32x4.relaxed_madd` per multiply-add
   * (README, "matmul's fused mode"): not bit-identical to the naive loop
   * (each element within k * 2^-23 * sum |a||b| of the exact product). Needs
   * WebAssembly relaxed SIMD (`features.relaxedSimd`: Node 22+, Node 20 with
   * --experimental-wasm-relaxed-simd); without it the call fails with
   * ERR_SABRE_RELAXED_SIMD_UNSUPPORTED, never falls back. A TypeError on any
   * other kernel, and on a remote Cluster. Default false (exact).
   */
  fused?: boolean;
}

/**
 * The kernels, as called directly (synchronous, on the calling thread):
 * `DirectKernels` is `DirectKernels<'direct'>`. `DirectKernels<'pool'>`
 * (that is, `PoolKernels`) is the same list on a pool: each method takes the
 * same arguments plus optional CallOptions and returns a Promise of the
 * direct result. One generic declaration rather than a mapped type over the
 * direct one, because a mapped type (`Parameters`/`ReturnType`) erases each
 * method's type parameter: `pool.kernels.scale(f32, 2)` would be a
 * `Promise<Float32Array | Float64Array>`.
 */
export interface DirectKernels<M extends CallMode = 'direct'> {
  /** x[i] = a * x[i] (a rounded to f32 for a Float32Array); returns x. */
  scale<T extends FloatArray>(x: T, a: number, ...options: Extra<M>): Returns<M, T>;
  /**
   * y[i] = a * x[i] + y[i], not fused; returns y. Float64Array: exactly the JS
   * expression; Float32Array: fround(fround(fround(a) * x[i]) + y[i]).
   */
  axpy<T extends FloatArray>(y: T, a: number, x: T, ...options: Extra<M>): Returns<M, T>;
  /**
   * y[i] = a * x[i] + b * y[i], not fused; returns y. Float64Array: exactly the
   * JS expression; Float32Array: a and b rounded to f32 first and each multiply
   * and the add rounded to f32, fround(fround(A * x[i]) + fround(B * y[i])).
   */
  axpby<T extends FloatArray>(y: T, a: number, x: T, b: number, ...options: Extra<M>): Returns<M, T>;
  /**
   * x[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i]; NaN stays NaN. RangeError
   * if lo or hi is NaN or lo > hi. Returns x.
   */
  clamp<T extends FloatArray>(x: T, lo: number, hi: number, ...options: Extra<M>): Returns<M, T>;
  /** x[i] = Math.abs(x[i]) (-0 becomes 0, NaN stays NaN); returns x. */
  abs<T extends FloatArray>(x: T, ...options: Extra<M>): Returns<M, T>;
  /** x[i] = Math.sqrt(x[i]), correctly rounded (f32: Math.fround of it); -0 stays -0, negatives NaN. Returns x. */
  sqrt<T extends FloatArray>(x: T, ...options: Extra<M>): Returns<M, T>;
  /** b = 255 - b; returns bytes. */
  invert<T extends ByteArray>(bytes: T, ...options: Extra<M>): Returns<M, T>;
  /** RGBA to grayscale in place (BT.601 luma, alpha kept); returns rgba. */
  grayscale<T extends ByteArray>(rgba: T, ...options: Extra<M>): Returns<M, T>;
  /**
   * Brightness and contrast on RGBA in place, alpha kept; returns rgba. Each of
   * R, G, B becomes clamp(((v - 128) * c + 128 >> 8) + 128 + brightness, 0, 255),
   * with c = Math.round(contrast * 256). brightness: integer in [-255, 255];
   * contrast: gain in [0, 256] (1 = unchanged, 0 = flat grey).
   */
  brightnessContrast<T extends ByteArray>(rgba: T, brightness: number, contrast: number, ...options: Extra<M>): Returns<M, T>;
  /** b = b >= t ? 255 : 0, t an integer in [0, 256]; returns bytes. */
  threshold<T extends ByteArray>(bytes: T, t: number, ...options: Extra<M>): Returns<M, T>;
  /**
   * bytes[i] ^= key[i % key.length] (key not empty, not overlapping bytes);
   * returns bytes. On a pool, a key not on a SharedArrayBuffer is copied once.
   */
  xorKey<T extends ByteArray>(bytes: T, key: ByteArray, ...options: Extra<M>): Returns<M, T>;
  /** Compensated (Neumaier) sum. */
  sum(x: FloatArray, ...options: Extra<M>): Returns<M, number>;
  /** Compensated (Neumaier) sum of x[i] * y[i] (products in f64). */
  dot<T extends FloatArray>(x: T, y: T, ...options: Extra<M>): Returns<M, number>;
  /** Smallest element, with Math.min's rules: any NaN gives NaN, -0 < 0, empty gives Infinity. */
  min(x: FloatArray, ...options: Extra<M>): Returns<M, number>;
  /** Largest element, with Math.max's rules: any NaN gives NaN, 0 > -0, empty gives -Infinity. */
  max(x: FloatArray, ...options: Extra<M>): Returns<M, number>;
  /** Mean, population and sample variance (all NaN when x is empty). */
  meanVariance(x: FloatArray, ...options: Extra<M>): Returns<M, MeanVariance>;
  /** counts[b] = number of bytes equal to b, for b in 0..255 (256 entries). */
  histogram(bytes: ByteArray, ...options: Extra<M>): Returns<M, Float64Array>;
  /** Least-squares fit of y = slope * x + intercept. */
  linearRegression<T extends FloatArray>(x: T, y: T, ...options: Extra<M>): Returns<M, LinearFit>;
  /** Number of primes p with lo <= p < hi (integers, 0 <= lo <= hi <= 2^53). */
  countPrimes(lo: number, hi: number, ...options: Extra<M>): Returns<M, number>;
  /** out[i] = 1 if lo + i is prime, else 0 (lo an integer, 0 <= lo <= 2^53 - out.length); returns the number of primes. */
  markPrimes(out: Uint8Array, lo: number, ...options: Extra<M>): Returns<M, number>;
  /**
   * Renders escape times floor(255 * k / maxIter) into out (255 = in the set);
   * returns out. Pixel out[row * width + col] samples its top-left corner,
   * (xMin + col * ((xMax - xMin) / width), yMin + row * ((yMax - yMin) / height));
   * README.md gives the exact loop.
   */
  mandelbrot(out: Uint8Array, view: MandelbrotView, ...options: Extra<M>): Returns<M, Uint8Array>;
  /**
   * Gaussian blur of an RGBA image (width * height * 4 bytes) into `out`, a
   * separate buffer (RangeError if they overlap); returns out. Radius
   * ceil(3 * sigma), sigma in [0, 100]; edges clamped; integer weights and
   * arithmetic (README.md gives both), so every split gives the same bytes.
   * Alpha is blurred like the colours (no premultiplication).
   */
  gaussianBlur<T extends ByteArray>(out: T, input: ByteArray, width: number, height: number, sigma: number, ...options: Extra<M>): Returns<M, T>;
  /**
   * C = A · B in f32, row-major: c is m x n, a is m x k, b is k x n; c must
   * not overlap a or b. Each element is summed in order of k with f32
   * rounding (equal to the naive loop bit for bit). Returns c.
   */
  matmul(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, ...options: Extra<M>): Returns<M, Float32Array>;
  /**
   * One drift-kick-drift leapfrog step of direct-sum gravity (G = 1, Plummer
   * softening): pos and vel hold x, y, z per body, mass one value per body.
   * All-or-nothing: pos and vel are written once every body's new state is
   * known. Pairs at distance 0 (with softening 0) are skipped. Returns pos.
   */
  nbodyStep(pos: Float64Array, vel: Float64Array, mass: Float64Array, dt: number, softening: number, ...options: Extra<M>): Returns<M, Float64Array>;
  /**
   * One Lloyd iteration over points (n x dims): labels[i] becomes the nearest
   * centroid (squared Euclidean in f32; lowest index on ties), and each
   * centroid with points becomes their mean, written into centroids.
   */
  kmeansStep(points: Float32Array, dims: number, centroids: Float32Array, labels: Int32Array | Uint32Array, ...options: Extra<M>): Returns<M, KMeansStep>;
  /**
   * Sorts x in place, exactly like x.sort() without a comparator; returns x.
   * Floats: -Infinity < ... < -0 < +0 < ... < Infinity < NaN (every NaN
   * last, whatever its sign or payload; NaNs come out as the canonical NaN).
   * Uses 2 * x.byteLength of scratch memory when x is longer than one chunk.
   * On a pool, an aborted, timed-out or failed sort leaves x either
   * unchanged or completely sorted: always a permutation of its values.
   */
  sort<T extends SortableArray>(x: T, ...options: Extra<M>): Returns<M, T>;
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
  /**
   * Aborting rejects the call at once with an AbortError (after a chunk
   * already writing back has finished): queued chunks are dropped, chunks
   * still computing are not written back.
   */
  signal?: AbortSignalType;
  /** Milliseconds of run time (from the first chunk's start, not from enqueue). */
  timeout?: number;
  /** Called after each chunk completes. */
  onProgress?: (progress: Progress) => void;
  /**
   * false: an in-place map on arrays that sabre.shared allocated writes
   * straight into them in one chunk per thread, without undo copies; a
   * worker dying in its chunk then fails the call (ERR_SABRE_COMMIT_INTERRUPTED)
   * instead of running it again. Default true.
   */
  transactional?: boolean;
  /**
   * true: matmul's fused mode, one `f32x4.relaxed_madd` per multiply-add
   * (README, "matmul's fused mode"): not bit-identical to the naive loop
   * (each element within k * 2^-23 * sum |a||b| of the exact product). Needs
   * WebAssembly relaxed SIMD (`features.relaxedSimd`: Node 22+, Node 20 with
   * --experimental-wasm-relaxed-simd); without it the call fails with
   * ERR_SABRE_RELAXED_SIMD_UNSUPPORTED, never falls back. A TypeError on any
   * other kernel, and on a remote Cluster. Default false (exact).
   */
  fused?: boolean;
}

/** The same kernels on a pool: same arguments plus call options; they return Promises. */
export interface PoolKernels extends DirectKernels<'pool'> {}

/** The same kernels on a cluster: same arguments plus cluster call options; they return Promises. */
export interface ClusterKernels extends DirectKernels<'cluster'> {}

/** What each chunk of a cluster call needs of the worker that runs it (rounded up to a capacity class). */
export interface ClusterNeeds {
  /** Megabytes, > 0 and <= 1048576; a worker's `--memory-mb`. */
  memoryMb?: number;
  /** Threads of the worker's pool, an integer 1..256; a worker's `--threads`. */
  threads?: number;
}

/** A duration summary in milliseconds (count 0: nothing recorded). */
export interface DurationSummary {
  count: number;
  mean?: number;
  p50?: number;
  p90?: number;
  p99?: number;
  max?: number;
}

/** One cluster call's run statistics, given to `onStats` when it settles. */
export interface ClusterCallStats {
  kernel: string;
  /** Whether the call succeeded. */
  ok: boolean;
  elapsedMs: number;
  /** Flows run (one per pass). */
  passes: number;
  /** Cluster chunks (BullMQ jobs) finished, and the pool chunks in them. */
  jobs: number;
  chunks: number;
  /** Jobs started again after their worker was lost (BullMQ's stall check). */
  retries: number;
  /** By worker (`host:pid`): the jobs and pool chunks it ran. */
  workers: Record<string, { jobs: number; chunks: number }>;
  /** A job's creation to its start (clocks of different machines). */
  waitMs: DurationSummary;
  /** A job on its worker: inputs read, chunks run, result written. */
  runMs: DurationSummary;
  /** Bytes the client and the workers wrote to and read from Redis for this call. */
  bytes: { toRedis: number; fromRedis: number };
}

/** Per-call options on a cluster: the pool's, plus capacity and statistics. */
export interface ClusterCallOptions extends Omit<CallOptions, 'timeout'> {
  /** Milliseconds from submit, queue wait included (no worker may fit the call). */
  timeout?: number;
  /** What each chunk needs: it runs only on a worker that has it. TypeError/RangeError before anything is queued. */
  needs?: ClusterNeeds;
  /** Called once when the call settles, with its run statistics. */
  onStats?: (stats: ClusterCallStats) => void;
}

/** `cluster.stats()` of a remote cluster: per kernel since it was made. */
export interface ClusterStats {
  elapsedMs: number;
  kernels: Record<
    string,
    Omit<ClusterCallStats, 'kernel' | 'ok' | 'elapsedMs' | 'passes'> & { calls: number; failed: number }
  >;
}

export interface PoolOptions {
  /**
   * Worker threads: a number (fixed), or `{ min, max }` (starts `min`, grows
   * to `max` while work waits). Default: os.availableParallelism(), fixed.
   */
  threads?: number | { min?: number; max?: number };
  /** Milliseconds a worker above `threads.min` may stay idle before it ends. Default 30000. */
  idleTimeout?: number;
  /** Calls that may wait for their first chunk before new calls reject. Default Infinity. */
  maxQueue?: number;
  /**
   * Passed to each Worker, each field checked against what Node can run (MB):
   * maxOldGenerationSizeMb 8..2^20, maxYoungGenerationSizeMb 1..2^16,
   * codeRangeSizeMb 1..4096, stackSizeMb 0.5..4096; other keys are refused.
   */
  resourceLimits?: ResourceLimits;
  /** The Atomics.wait / receiveMessageOnPort dispatch fast path. Default true. */
  atomics?: boolean;
}

export interface TimeSummary {
  count: number;
  mean?: number;
  p50?: number;
  p90?: number;
  p99?: number;
  max?: number;
}

export interface KernelStats {
  /** Calls submitted. */
  calls: number;
  /** Calls that rejected (abort, timeout, crash, error). */
  failed: number;
  /** Chunks that ran. */
  chunks: number;
  /** Messages that sent chunks to workers: several consecutive chunks of a call go in one batch when they are short. */
  batches: number;
  /** Run time of chunks in workers, ms. */
  runMs: TimeSummary;
  /** Time from submit to a call's first chunk starting, ms. */
  waitMs: TimeSummary;
}

export interface StatsView {
  elapsedMs: number;
  busyMs: number;
  /** Busy worker time / (elapsed time × threads), 0..1. */
  utilization: number;
  kernels: Record<string, KernelStats>;
}

export interface PoolStats {
  threads: number;
  queueSize: number;
  sinceStart: StatsView;
  /** The last `windowMs` (60 s). */
  recent: StatsView & { windowMs: number };
}

export interface WorkerExitEvent {
  threadId: number;
  code: number;
  /** crash: died on its own; timeout: ended for a call's time limit; idle: retired above threads.min; shutdown: close/destroy. */
  reason: 'crash' | 'timeout' | 'idle' | 'shutdown';
}

/** Options of a Cluster (see README, "Past one machine"). */
export interface ClusterOptions {
  /** A Redis URL (`redis://HOST:PORT`) or ioredis options; without it the cluster runs on a local Pool. */
  connection?: string | Record<string, unknown>;
  /** BullMQ queue name, the workers' `--queue` (default 'sabre'). */
  queue?: string;
  /** Pool chunks per cluster chunk (one BullMQ job), default 16. */
  jobChunks?: number;
  /** Milliseconds Redis may be unreachable while calls are live before they fail (ERR_SABRE_REDIS_LOST), default 10000. */
  lostAfter?: number;
  /** Milliseconds every Redis key of a call lives at most (default 1 h). */
  ttl?: number;
  /** Options of the local Pool when there is no connection. */
  pool?: PoolOptions;
}

/**
 * The kernels across processes and machines: each call a BullMQ flow of
 * cluster chunks run by `npx sabre worker` processes (a multi-pass call:
 * one flow per pass).
 */
export class Cluster implements AsyncDisposable {
  constructor(options?: ClusterOptions);
  readonly kernels: ClusterKernels;
  /** True when made without a connection (a local Pool). */
  readonly embedded: boolean;
  /**
   * A user's kernels (defineKernels) on the cluster: the declaration, a
   * package name or an absolute path, resolvable the same on every worker.
   */
  load(declaration: KernelDefinition | string): Record<string, (...args: any[]) => Promise<any>>;
  /** Per kernel since the cluster was made; an embedded cluster: its pool's stats(). */
  stats(): ClusterStats | PoolStats;
  /** Lets live calls settle, then closes the connections (or the local pool). */
  close(): Promise<void>;
  /** Rejects every live call, then closes. */
  destroy(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A worker pool; an EventEmitter at run time. */
export class Pool implements AsyncDisposable {
  constructor(options?: PoolOptions);
  readonly kernels: PoolKernels;
  /** Current number of worker threads. */
  readonly threads: number;
  /** Calls waiting for their first chunk to start. */
  readonly queueSize: number;
  /** True while the queue is at maxQueue; 'drain' fires when it has room again. */
  readonly needsDrain: boolean;
  stats(): PoolStats;
  /**
   * Ends one busy worker abruptly, as a crash would, anywhere but inside a
   * write-back: a chunk it was running is retried, one it had written stays
   * written once. Returns its threadId or null.
   */
  simulateCrash(): number | null;
  /** A user's own kernels (see defineKernels), returning Promises. */
  load(definition: KernelDefinition): Record<string, (...args: any[]) => Promise<any>>;
  /** k-means to convergence, each kmeansStep iteration on this pool. */
  kmeans(points: Float32Array, dims: number, k: number, options?: KMeansOptions, callOptions?: CallOptions): Promise<KMeansResult>;
  on(event: 'workerExit', listener: (e: WorkerExitEvent) => void): this;
  on(event: 'workerError', listener: (err: Error) => void): this;
  on(event: 'idle' | 'drain', listener: () => void): this;
  on(event: string | symbol, listener: Listener): this;
  once(event: 'workerExit', listener: (e: WorkerExitEvent) => void): this;
  once(event: 'workerError', listener: (err: Error) => void): this;
  once(event: 'idle' | 'drain', listener: () => void): this;
  once(event: string | symbol, listener: Listener): this;
  // The rest of Node's EventEmitter, so a Pool is one to the type checker too.
  addListener(event: string | symbol, listener: Listener): this;
  prependListener(event: string | symbol, listener: Listener): this;
  prependOnceListener(event: string | symbol, listener: Listener): this;
  off(event: string | symbol, listener: Listener): this;
  removeListener(event: string | symbol, listener: Listener): this;
  removeAllListeners(event?: string | symbol): this;
  setMaxListeners(n: number): this;
  getMaxListeners(): number;
  listeners(event: string | symbol): Function[];
  rawListeners(event: string | symbol): Function[];
  emit(event: string | symbol, ...args: any[]): boolean;
  listenerCount(event: string | symbol, listener?: Function): number;
  eventNames(): (string | symbol)[];
  /** Stops accepting calls, finishes queued ones, then ends the workers. */
  close(): Promise<void>;
  /** Rejects every pending call and ends the workers now. */
  destroy(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export const kernels: DirectKernels;

export type SplitMode = 'in' | 'inout' | 'out';
type TypedArrayClass = { new (length: number): ArrayBufferView; readonly BYTES_PER_ELEMENT: number };

/** One parameter of a user kernel, in the order the wasm export takes them. */
export type ParamDeclaration =
  | { name: string; split: SplitMode; type: TypedArrayClass | TypedArrayClass[]; align?: number }
  | { name: string; broadcast: true; type: TypedArrayClass | TypedArrayClass[] }
  | { name: string; offset: true }
  | { name: string; type?: 'number' | 'boolean' | 'string' | 'object' | 'bigint' };

export interface KernelDeclaration {
  /** The wasm export (default: the kernel's name). */
  export?: string;
  params: ParamDeclaration[];
  /** Folds two chunk results, in chunk order (a reduction). Without it, the call returns its first written array. */
  combine?: (a: any, b: any) => any;
  /** Units per chunk (a unit is `align` elements of the split arrays). Default 2^18 elements. */
  grain?: number;
}

export interface KernelDefinition {
  readonly filename: string;
  readonly wasm: string;
}

/**
 * Declares the kernels of your own wasm-pack --target nodejs crate. `where`:
 * `module` (CommonJS) or `import.meta.url` (ESM): workers load the
 * declaration from that file.
 */
export function defineKernels(
  where: { filename: string } | string,
  definition: { wasm: string; init?: (wasm: any) => void; kernels: Record<string, KernelDeclaration> },
): KernelDefinition;

/** A user's own kernels, called directly (synchronous). */
export function load(definition: KernelDefinition): Record<string, (...args: any[]) => any>;

/** k-means to convergence on this thread (synchronous). */
export function kmeans(points: Float32Array, dims: number, k: number, options?: KMeansOptions): KMeansResult;

/**
 * Typed arrays in sabre's shared wasm memory (a SharedArrayBuffer, one per
 * thread, up to 4 GiB), which kernels and pool workers read and write in
 * place. Each is zeroed and has a non-enumerable `[Symbol.dispose]()`.
 */
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
  /** Whether `view` is backed by any SharedArrayBuffer (the pool's requirement). */
  isShared(view: unknown): boolean;
  /** Whether `view` is an array sabre.shared allocated and did not free (kernels run on it without copies). */
  isAllocated(view: unknown): boolean;
  /** Returns an array's bytes to the memory (ERR_SABRE_FREED twice, ERR_SABRE_NOT_SHARED foreign, ERR_SABRE_IN_USE during a pool call). */
  free(view: ArrayBufferView): void;
  /** This thread's shared memory: live arrays and their bytes, bytes grown into, the maximum. */
  usage(): { arrays: number; liveBytes: number; grownBytes: number; maximumBytes: number };
};

/** What this runtime supports, detected when sabre loads (in each thread). */
export const features: {
  /** WebAssembly relaxed SIMD, which matmul's `fused` mode needs. */
  readonly relaxedSimd: boolean;
};

export class SabreError extends Error {
  code: string;
}
/**
 * A kernel panicked or trapped (code ERR_SABRE_KERNEL_PANIC; the message is
 * the panic's) or exhausted the stack (ERR_SABRE_KERNEL_STACK_OVERFLOW).
 */
export class KernelError extends SabreError {}
/**
 * A worker died twice on the same chunk (ERR_SABRE_WORKER_CRASHED), or died
 * inside a chunk's write-back, which may then be partly written
 * (ERR_SABRE_COMMIT_INTERRUPTED); `kernel`, `start`, `end` name the chunk.
 */
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
  defineKernels: typeof defineKernels;
  load: typeof load;
  kmeans: typeof kmeans;
  Pool: typeof Pool;
  Cluster: typeof Cluster;
  shared: typeof shared;
  features: typeof features;
  SabreError: typeof SabreError;
  KernelError: typeof KernelError;
  WorkerCrashError: typeof WorkerCrashError;
  TimeoutError: typeof TimeoutError;
  QueueFullError: typeof QueueFullError;
  PoolClosedError: typeof PoolClosedError;
  AbortError: typeof AbortError;
};
export default sabre;
