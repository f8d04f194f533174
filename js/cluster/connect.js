'use strict';
// What the client and the workers share about Redis: loading the optional
// peer dependencies, one connection setting for BullMQ and ioredis, the
// names of a call's keys, and its job ids.

const { SabreError } = require('../errors');

/** `require(name)`, or a clear error saying what to install. */
function requirePeer(name) {
  try {
    return require(name);
  } catch (err) {
    if (err?.code !== 'MODULE_NOT_FOUND') throw err;
    throw new SabreError(
      `sabre: a Cluster with a connection needs the optional peer dependency "${name}": npm install bullmq ioredis`,
      { code: 'ERR_SABRE_BULLMQ_MISSING', cause: err },
    );
  }
}

/**
 * `connection` as BullMQ's options (a URL becomes `{ url }`), an ioredis
 * client for the data keys, and `newClient()` for more clients of that
 * connection (a QueueEvents gets one of its own: see js/cluster/remote.js).
 */
function connect(connection) {
  const bullmq = requirePeer('bullmq');
  const IORedis = requirePeer('ioredis');
  const opts = typeof connection === 'string' ? { url: connection } : { ...connection };
  const { url, ...rest } = opts;
  const newClient = () => (url ? new IORedis(url, { ...rest, maxRetriesPerRequest: null }) : new IORedis({ ...rest, maxRetriesPerRequest: null }));
  return { bullmq, redis: newClient(), opts, newClient };
}

/** Every key of a call is `sabre:CALL:WHAT`. */
const keyOf = (call, what) => `sabre:${call}:${what}`;

// Job ids. A call id is 32 hex digits; pass P of it is one flow, whose
// parent is `CALLpP` and whose children are `CALLpP-INDEX`.
const CALL_ID_LENGTH = 32;
const parentId = (call, pass) => `${call}p${pass}`;
const childId = (call, pass, index) => `${call}p${pass}-${index}`;

/** `{ call, pass, index }` of a job id (index -1: a parent), or null for a job not of this shape. */
function parseJobId(jobId) {
  const m = /^([0-9a-f]{32})p(\d+)(?:-(\d+))?$/.exec(jobId);
  return m ? { call: m[1], pass: Number(m[2]), index: m[3] === undefined ? -1 : Number(m[3]) } : null;
}

module.exports = { requirePeer, connect, keyOf, parentId, childId, parseJobId, CALL_ID_LENGTH };
