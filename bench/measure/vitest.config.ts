// Runs the measurement scripts of bench/measure (not tests: they print numbers and assert only the
// correctness they check before timing). npx vitest run --config bench/measure/vitest.config.ts
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: '.',
    include: ['bench/measure/*.measure.ts'],
    fileParallelism: false,
    testTimeout: 1_800_000,
  },
});
