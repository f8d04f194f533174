// ESM entry: the same objects as the CommonJS entry (one module instance).
import { createRequire } from 'node:module';

const sabre = createRequire(import.meta.url)('./index.js');

export const {
  kernels,
  kmeans,
  defineKernels,
  load,
  Pool,
  Cluster,
  shared,
  features,
  SabreError,
  KernelError,
  WorkerCrashError,
  TimeoutError,
  QueueFullError,
  PoolClosedError,
  AbortError,
} = sabre;
export default sabre;
