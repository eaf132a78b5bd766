// The library API in Node: `import { ... } from 'wgtrain'`. The browser-safe API (src/browser.ts) and
// the Node adapter search through Dawn.

export * from './browser.ts';
export { acquireNodeGpu, listNodeAdapters, type AdapterChoice } from './gpu/nodeGpu.ts';
