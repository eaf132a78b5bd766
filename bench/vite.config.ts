// Builds bench/main.ts for Node into bench/dist/ (git-ignored with every dist/), WGSL inlined through
// `?raw` imports, dependencies (TF.js, Dawn, commander) left external: `npm run bench` builds, then runs it.
// The one exception: tfjs-core's gradient registrations, which exist only as ES modules with
// extensionless imports that Node cannot load; they are bundled in.
import { defineConfig } from 'vite';

export default defineConfig({
  ssr: { noExternal: ['@tensorflow/tfjs-core'] },
  build: {
    ssr: true,
    target: 'node20',
    outDir: 'bench/dist',
    emptyOutDir: true,
    minify: false,
    sourcemap: true,
    rollupOptions: {
      input: { main: 'bench/main.ts' },
      output: { format: 'es', entryFileNames: '[name].js' },
    },
  },
  logLevel: 'warn',
});
