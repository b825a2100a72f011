#!/usr/bin/env node
// The `steadfast` CLI. An installed package runs its compiled JavaScript (dist/); a checkout of the
// Steadfast repository runs the TypeScript sources through tsx, so it needs no build step.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS shim */
const fs = require('node:fs');
const path = require('node:path');

const source = path.join(__dirname, '..', 'src', 'cli', 'cli.ts');
let cli;
if (fs.existsSync(source)) {
  // The checkout's tsconfig maps `steadfast/*` to the sources, wherever the command runs from.
  process.env.TSX_TSCONFIG_PATH ??= path.join(__dirname, '..', 'tsconfig.json');
  require('tsx/cjs');
  cli = require(source);
} else {
  cli = require('../dist/cli/cli.js');
}

cli.main(process.argv).then(
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
