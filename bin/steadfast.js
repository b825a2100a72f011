#!/usr/bin/env node
// The `steadfast` CLI. An installed package runs its compiled JavaScript (dist/); a checkout of the
// Steadfast repository runs the TypeScript sources through tsx, so it needs no build step.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS shim */
const fs = require('node:fs');
const path = require('node:path');

// STEADFAST_FROM_DIST=1 runs the built dist/ in a checkout too (`npm run build` first), to measure
// what an installed package does.
const checkout = process.env.STEADFAST_FROM_DIST !== '1' && fs.existsSync(path.join(__dirname, '..', 'src', 'cli', 'cli.ts'));
if (checkout) {
  // The checkout's tsconfig maps `steadfast/*` to the sources, wherever the command runs from.
  process.env.TSX_TSCONFIG_PATH ??= path.join(__dirname, '..', 'tsconfig.json');
  require('tsx/cjs');
}
/** Loads a module of the CLI: `src/<name>.ts` in a checkout, `dist/<name>.js` in an installed package. */
const load = (name) => require(path.join(__dirname, '..', checkout ? 'src' : 'dist', checkout ? `${name}.ts` : `${name}.js`));

if (process.argv[2] === 'init') {
  // `init` needs nothing but Node: it runs before the project it creates has any dependencies.
  process.exit(load('init/command').initMain(process.argv.slice(3), {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  }));
}
const cli = load('cli/cli');

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
