// Builds the browser app (index.html + src/app/) into dist-web/, a static site that works from any static
// server and any sub-path (relative asset URLs). `npm run dev` serves it, `npm run preview` serves the build.
// The Node CLI is built separately by vite.node.config.ts into dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const GPU_TRAINER = fileURLToPath(new URL('./src/gpu/gpuTrainer.ts', import.meta.url));

/**
 * Stand-in while src/gpu/gpuTrainer.ts is not written yet: createTrainer imports it dynamically, and a
 * missing module would fail the whole build. The stand-in throws a labelled error when the GPU backend is
 * requested, so the page shows it (never a silent switch to the CPU). Inert once the file exists.
 */
function missingGpuTrainer(): Plugin {
  const id = '\0wgtrain-missing-gpu-trainer';
  return {
    name: 'wgtrain-missing-gpu-trainer',
    resolveId(source, importer) {
      if (!importer || !source.endsWith('/gpu/gpuTrainer.ts') || existsSync(GPU_TRAINER)) return null;
      this.warn('src/gpu/gpuTrainer.ts does not exist yet: the GPU backend of this build only reports that');
      return id;
    },
    load(source) {
      if (source !== id) return null;
      return `export const GpuTrainer = { create() { throw new Error('This build has no GPU trainer (src/gpu/gpuTrainer.ts was missing when it was built)'); } };`;
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [missingGpuTrainer()],
  build: {
    outDir: 'dist-web',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
