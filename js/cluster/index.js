'use strict';
// Cluster: sabre's kernels across processes and machines, on BullMQ and Redis.
//
//   new Cluster()                               embedded: a local Pool
//   new Cluster({ connection, queue })          remote: workers started with
//                                               `npx sabre worker --redis URL`
//   await cluster.kernels.NAME(...args, opts?)  the pool's signatures
//   cluster.load(declaration)                   users' kernels, the same way
//
// The parts, one job each:
//   remote.js        the client's connections, event routing, load, stats
//   call.js          one call from submit to settle: a flow per pass
//   capacity.js      `needs` -> a capacity class -> its queue
//   worker.js        `sabre worker`: BullMQ Workers over a local Pool
//   range.js         the pool kernel a worker runs: pool chunks [first, end)
//   codec.js         JSON and binary frames, what crosses Redis
//   stats.js         per-call and per-kernel run statistics
//   declarations.js  where a user's declaration is found on every machine
//   connect.js       peer dependencies, connection, key and job names
//
// BullMQ (and its ioredis) is an optional peer dependency, required only
// when a Cluster is made with a connection.

const { kernels } = require('../kernels');
const { Engine } = require('../engine');
const { checkDefinition, specsOf, qualifiedName } = require('../custom');
const { invalidArgType } = require('../errors');
const v = require('../validate');
const { onlyKnownKeys } = require('../options');
const { declarationOf } = require('./declarations');
const { classOf } = require('./capacity');

/** The options of a cluster on Redis; `pool` is the embedded cluster's (no `connection`). */
const REMOTE_KEYS = ['queue', 'ttl', 'jobChunks', 'lostAfter'];
const CLUSTER_KEYS = ['connection', 'pool', ...REMOTE_KEYS];

const publicNames = Object.keys(kernels).filter((name) => !name.startsWith('_'));

/** The embedded cluster: a local Pool; the cluster's own call options are checked, then dropped. */
function embedded(poolOptions) {
  const { Pool } = require('../index');
  const local = new Pool(poolOptions);
  const strip = (opts) => {
    if (opts === null || typeof opts !== 'object') return opts;
    const { needs, onStats, ...rest } = opts;
    classOf(needs);
    if (onStats !== undefined && typeof onStats !== 'function') throw invalidArgType('options.onStats', 'a function', onStats);
    return rest;
  };
  return {
    submit: async (name, args, opts) => local.kernels[name](...args, strip(opts)),
    load: (def) => local.load(def),
    stats: () => local.stats(),
    close: () => local.close(),
    destroy: () => local.destroy(),
  };
}

/**
 * The cluster facade: `kernels` with the pool's signatures, on Redis
 * workers (with `connection`) or on a local Pool (without).
 */
class Cluster {
  #impl;
  #remote = null;

  /**
   * `options.connection`: a Redis URL or ioredis options (BullMQ's
   * `connection`); `queue`: the BullMQ queue name (default 'sabre');
   * `jobChunks`: pool chunks per cluster chunk (default 16); `ttl`: ms every
   * key of a call lives at most (default 1 h); `lostAfter`: ms Redis may be
   * unreachable before live calls fail (default 10 s). Without
   * `connection`: a local Pool, made with `options.pool`.
   */
  constructor(options = {}) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
    // Own properties only, each read once; a key it does not know is refused
    // (a misspelt `jobChunks` would otherwise leave the default in force).
    const { connection, pool, ...remote } = v.ownProps('options', onlyKnownKeys('options', options, CLUSTER_KEYS), CLUSTER_KEYS);
    if (connection === undefined) {
      // Without Redis the calls run on a local Pool: a Redis-side option
      // given here means the caller forgot `connection`.
      const stray = REMOTE_KEYS.find((key) => remote[key] !== undefined);
      if (stray !== undefined) throw invalidArgType(`options.${stray}`, 'given only with options.connection (a cluster on Redis)', remote[stray]);
      this.#impl = embedded(pool);
      this.embedded = true;
    } else {
      // The client runs no kernels itself: `sabre worker` processes do.
      if (pool !== undefined) throw invalidArgType('options.pool', 'given only without options.connection (a local cluster)', pool);
      const { RemoteCluster } = require('./remote');
      this.#remote = new RemoteCluster({ connection, ...remote });
      this.#impl = this.#remote;
      this.embedded = false;
    }
    const impl = this.#impl;
    this.kernels = Object.freeze(
      Object.fromEntries(
        publicNames.map((name) => {
          const n = kernels[name].params.length;
          return [name, { [name]: (...args) => impl.submit(name, args.slice(0, n), args[n]) }[name]];
        }),
      ),
    );
  }

  /**
   * A user's kernels (sabre.defineKernels) on this cluster: `declaration` is
   * the declaration itself (named by its file's absolute path), a package
   * name or an absolute path, and must resolve the same on every worker.
   * Checked against its wasm here first; each worker loads it on its first
   * job of it. Returns the methods, as `pool.load` does.
   */
  load(declaration) {
    const { def, name: definition } = declarationOf(declaration);
    if (!this.#remote) return this.#impl.load(def);
    const remote = this.#remote;
    if (!Object.hasOwn(remote.kernels, qualifiedName(def, Object.keys(def.kernels)[0]))) {
      checkDefinition(def, Engine);
      Object.assign(remote.kernels, specsOf(def));
    }
    return Object.freeze(
      Object.fromEntries(
        Object.keys(def.kernels).map((name) => {
          const q = qualifiedName(def, name);
          const n = remote.kernels[q].params.length;
          return [name, { [name]: (...args) => remote.submit(q, args.slice(0, n), args[n], { definition, name }) }[name]];
        }),
      ),
    );
  }

  /**
   * Run statistics. Remote: per kernel since the cluster was made (calls,
   * failed, jobs, chunks, retries, chunks per worker, queue wait and run
   * time percentiles, bytes through Redis); each call's own with its
   * `onStats` option. Embedded: the local pool's stats().
   */
  stats() {
    return this.#remote ? this.#remote.stats.snapshot() : this.#impl.stats();
  }

  /** Lets live calls finish, then closes every connection (or the local pool). */
  close() {
    return this.#impl.close();
  }

  /** Rejects every live call, then closes. */
  destroy() {
    return this.#impl.destroy();
  }

  [Symbol.asyncDispose]() {
    return this.close();
  }
}

module.exports = { Cluster };
