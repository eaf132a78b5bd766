// Node built-ins fetched when first used rather than imported statically, so that the data modules can be
// bundled for the browser (where only the file and MNIST loaders are unavailable).

import type * as Fs from 'node:fs';
import type * as Module from 'node:module';

/** node:fs; throws outside Node. */
export function nodeFs(): typeof Fs {
  return builtin('node:fs') as typeof Fs;
}

/** A CommonJS require resolving from this file, for locating installed packages; throws outside Node. */
export function nodeRequire(): NodeJS.Require {
  return (builtin('node:module') as typeof Module).createRequire(import.meta.url);
}

function builtin(id: string): unknown {
  if (typeof process === 'undefined' || typeof process.getBuiltinModule !== 'function') {
    throw new Error(`${id} is only available in Node (20.16 or later)`);
  }
  return process.getBuiltinModule(id);
}
