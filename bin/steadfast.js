#!/usr/bin/env node
// The `steadfast` CLI. The code is TypeScript, loaded through tsx (a runtime dependency), so a
// fresh clone needs `npm ci` and no build step. See client/cli.ts.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS shim */
require('tsx/cjs');
const { main } = require('../client/cli.ts');

main(process.argv).then(
  (code) => {
    process.exitCode = code;
    // Long-lived handles (a native runtime, a stray socket) must not keep a finished command alive.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
