#!/usr/bin/env node
// Entry point of the `wgtrain` executable (bundled to dist/wgtrain.js).
import { runCli } from './main.ts';

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`wgtrain: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(70);
  },
);
