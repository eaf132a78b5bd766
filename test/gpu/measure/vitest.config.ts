// Runs the measurement scripts of test/gpu/measure (not tests: they print numbers and assert only the
// correctness they check before timing). npx vitest run --config test/gpu/measure/vitest.config.ts
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: '.',
    include: ['test/gpu/measure/*.measure.ts'],
    fileParallelism: false,
    testTimeout: 1_800_000,
  },
});
