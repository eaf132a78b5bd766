// Builds the browser app (index.html + src/app/) into dist-web/, a static site that works from any static
// server and any sub-path (relative asset URLs). `npm run dev` serves it, `npm run preview` serves the build.
// The Node CLI is built separately by vite.node.config.ts into dist/.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  build: {
    outDir: 'dist-web',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
