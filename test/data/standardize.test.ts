import { describe, expect, it } from 'vitest';
import { InputError, applyStandardization, fitStandardization, makeDataset, rings5 } from '../../src/data/index.ts';

describe('standardization', () => {
  it('gives the training set mean 0 and standard deviation 1 per input', () => {
    const train = rings5({ size: 500, noise: 1, seed: 2 });
    const s = fitStandardization(train);
    const z = applyStandardization(train, s);
    expect(z.x).not.toBe(train.x);
    expect(z.y).toBe(train.y);
    for (let j = 0; j < 2; j++) {
      const column = Array.from({ length: z.size }, (_, i) => z.x[i * 2 + j]);
      const mean = column.reduce((a, b) => a + b, 0) / z.size;
      const variance = column.reduce((a, b) => a + (b - mean) ** 2, 0) / z.size;
      expect(mean).toBeCloseTo(0, 5);
      expect(Math.sqrt(variance)).toBeCloseTo(1, 5);
    }
  });

  it('computes the population mean and std exactly', () => {
    const d = makeDataset({ name: 'd', inputs: 2, classes: 1, x: new Float32Array([1, 10, 3, 10, 5, 10]), y: new Uint32Array(3) });
    const s = fitStandardization(d);
    expect(s.mean).toEqual([3, 10]);
    expect(s.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 12);
    expect(s.std[1]).toBe(1); // constant input: no division by zero
    expect(Array.from(applyStandardization(d, s).x.filter((_, k) => k % 2 === 1))).toEqual([0, 0, 0]);
  });

  it('treats a constant input as constant even when its mean rounds', () => {
    const d = makeDataset({ name: 'd', inputs: 1, classes: 1, x: new Float32Array(7).fill(0.1), y: new Uint32Array(7) });
    const s = fitStandardization(d);
    expect(s).toEqual({ mean: [Math.fround(0.1)], std: [1] });
    expect(applyStandardization(d, s).x.every((v) => v === 0)).toBe(true);
  });

  it('applies a fitted standardization to another data set and rejects a different width', () => {
    const s = { mean: [1, 2], std: [2, 4] };
    const d = makeDataset({ name: 'test.csv', inputs: 2, classes: 1, x: new Float32Array([3, 10]), y: new Uint32Array(1) });
    expect(Array.from(applyStandardization(d, s).x)).toEqual([1, 2]);
    const narrow = makeDataset({ name: 'test.csv', inputs: 1, classes: 1, x: new Float32Array([3]), y: new Uint32Array(1) });
    expect(() => applyStandardization(narrow, s)).toThrow(InputError);
    expect(() => applyStandardization(narrow, s)).toThrow(/^test\.csv: 1 inputs, but the standardization has 2 means and 2 stds$/);
  });
});
