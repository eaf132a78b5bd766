import { describe, expect, it } from 'vitest';
import { InputError, type Dataset, loadMnist } from '../../src/data/index.ts';

function classesPresent(d: Dataset): number {
  return new Set(d.y).size;
}

describe('loadMnist', () => {
  const split = loadMnist();

  it('splits the 10,000 digits into 8000 training and 2000 test images of 784 pixels', () => {
    expect(split.train).toMatchObject({ name: 'mnist', size: 8000, inputs: 784, classes: 10 });
    expect(split.test).toMatchObject({ name: 'mnist (test)', size: 2000, inputs: 784, classes: 10 });
    expect(split.train.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(split.train.x.length).toBe(8000 * 784);
  });

  it('has pixels in [0, 1] and every digit on both sides', () => {
    for (const d of [split.train, split.test]) {
      let min = Infinity;
      let max = -Infinity;
      for (const v of d.x) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      expect(min).toBe(0);
      expect(max).toBeLessThanOrEqual(1);
      expect(max).toBeGreaterThan(0.9);
      expect(classesPresent(d)).toBe(10);
    }
  });

  it('uses every image exactly once when the sizes add up to 10,000', () => {
    const all = loadMnist({ trainSize: 5000, testSize: 5000 });
    const counts = new Array<number>(10).fill(0);
    for (const d of [all.train, all.test]) for (const label of d.y) counts[label]++;
    // Images per digit as shipped by the mnist package.
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    const pixelSum = (d: Dataset) => d.x.reduce((a, b) => a + b, 0);
    const everything = loadMnist({ trainSize: 9999, testSize: 1 });
    expect(pixelSum(all.train) + pixelSum(all.test)).toBeCloseTo(pixelSum(everything.train) + pixelSum(everything.test), 0);
  });

  it('is deterministic in its seed', () => {
    const again = loadMnist();
    expect(Buffer.from(again.train.x.buffer).equals(Buffer.from(split.train.x.buffer))).toBe(true);
    expect(Buffer.from(again.test.y.buffer).equals(Buffer.from(split.test.y.buffer))).toBe(true);
    const other = loadMnist({ seed: 2 });
    expect(Buffer.from(other.train.y.buffer).equals(Buffer.from(split.train.y.buffer))).toBe(false);
  });

  it('rejects sizes beyond the 10,000 digits', () => {
    expect(() => loadMnist({ trainSize: 9000, testSize: 1001 })).toThrow(InputError);
    expect(() => loadMnist({ trainSize: 9000, testSize: 1001 })).toThrow(/mnist: trainSize 9000 \+ testSize 1001 exceeds the 10000 digits/);
    expect(() => loadMnist({ trainSize: 0 })).toThrow(/mnist: trainSize must be a positive integer/);
  });
});
