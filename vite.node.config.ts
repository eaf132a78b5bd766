// Builds the Node side (the `wgtrain` CLI and the library entries, Node and browser) into dist/, with the WGSL files inlined
// as strings through `?raw` imports. Dependencies stay external (installed with the package).
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    ssr: true,
    target: 'node20',
    outDir: 'dist',
    emptyOutDir: true,
    minify: false,
    sourcemap: true,
    rollupOptions: {
      input: { wgtrain: 'src/cli/bin.ts', index: 'src/index.ts', browser: 'src/browser.ts' },
      output: { format: 'es', entryFileNames: '[name].js' },
    },
  },
  logLevel: 'warn',
});
