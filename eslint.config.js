'use strict';
// The JS linter that `npm test` runs (scripts/test.js, the lint step):
// ESLint's recommended rules with Node's globals, over every JS folder.
// Correctness rules only; no formatting rules (the code is not reformatted).

const js = require('@eslint/js');
const globals = require('globals');

module.exports = [
  {
    ignores: ['dist/**', 'target/**', 'build/**', '.cache/**', 'examples/*/pkg/**', 'examples/*/target/**', 'bench/native/target/**'],
  },
  js.configs.recommended,
  {
    rules: {
      // `const { type, ...rest } = msg` drops `type` on purpose.
      'no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // Two rules beyond the recommended set that the code already honours
      // (its eslint-disable comments name them where it breaks them on purpose).
      'no-self-compare': 'error',
      'no-new': 'error',
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'commonjs', globals: globals.node },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: globals.node },
  },
];
