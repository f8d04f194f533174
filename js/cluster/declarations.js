'use strict';
// Users' kernels on a cluster: which declaration (sabre.defineKernels) a
// call's kernel comes from, said so that every worker finds it itself.
// A declaration is named by a package name (resolved from the process's
// working directory, then from sabre's own location) or by an absolute path;
// either must be present on every worker machine. `cluster.load(def)` with
// the declaration object itself names it by its file's absolute path.

const path = require('node:path');
const { requireDefinition, kDefinition } = require('../custom');
const { invalidArgType, SabreError } = require('../errors');

/** The file a declaration name resolves to here. */
function resolveName(name) {
  if (path.isAbsolute(name)) return name;
  try {
    return require.resolve(name, { paths: [process.cwd()] });
  } catch {
    try {
      return require.resolve(name);
    } catch (err) {
      throw new SabreError(`sabre: cannot resolve the kernel declaration "${name}" (a package name or an absolute path)`, {
        code: 'ERR_SABRE_MODULE_NOT_FOUND',
        cause: err,
      });
    }
  }
}

/** `{ def, name }` of what `cluster.load()` was given: a declaration, a package name or an absolute path. */
function declarationOf(declaration) {
  if (declaration?.[kDefinition]) return { def: declaration, name: declaration.filename };
  if (typeof declaration === 'string' && declaration !== '') return { def: requireDefinition(resolveName(declaration)), name: declaration };
  throw invalidArgType('declaration', 'the result of sabre.defineKernels(), a package name or an absolute path', declaration);
}

const loaded = new Map(); // name -> declaration, per worker process

/** A worker's declaration of `name`, loaded on its first job (cached for the process's life). */
function workerDeclaration(name) {
  let def = loaded.get(name);
  if (!def) loaded.set(name, (def = requireDefinition(resolveName(name))));
  return def;
}

module.exports = { declarationOf, workerDeclaration };
