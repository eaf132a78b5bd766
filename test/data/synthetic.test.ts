import { describe, expect, it } from 'vitest';
import { type Dataset, InputError, SYNTHETIC_NAMES, SYNTHETIC_SETS, makeSyntheticSplit, rings5 } from '../../src/data/index.ts';

function bytes(d: Dataset): Buffer {
  return Buffer.concat([Buffer.from(d.x.buffer, d.x.byteOffset, d.x.byteLength), Buffer.from(d.y.buffer, d.y.byteOffset, d.y.byteLength)]);
}

function classCounts(d: Dataset): number[] {
  const counts = new Array<number>(d.classes).fill(0);
  for (const label of d.y) counts[label]++;
  return counts;
}

describe('synthetic sets', () => {
  it('registers the six sets with defaults and a one-line description', () => {
    expect(SYNTHETIC_NAMES).toEqual(['rings5', 'spiral', 'moons', 'circles', 'xor', 'blobs']);
    for (const set of Object.values(SYNTHETIC_SETS)) {
      expect(set.size).toBeGreaterThan(0);
      expect(set.noise).toBe(1);
      expect(set.description).not.toMatch(/\n/);
    }
  });

  for (const name of SYNTHETIC_NAMES) {
    describe(name, () => {
      const set = SYNTHETIC_SETS[name];

      it('is deterministic in its seed', () => {
        const a = set.generate({ size: 203, noise: 1, seed: 7 });
        const b = set.generate({ size: 203, noise: 1, seed: 7 });
        const c = set.generate({ size: 203, noise: 1, seed: 8 });
        expect(bytes(a).equals(bytes(b))).toBe(true);
        expect(bytes(a).equals(bytes(c))).toBe(false);
      });

      it('has the right shape, balanced classes named 0..K-1 and finite inputs', () => {
        const size = 4 * set.classes - 1; // the remainder, K - 1, goes to all classes but the last
        const d = set.generate({ size, noise: 1, seed: 1 });
        expect(d).toMatchObject({ name, size, inputs: 2, classes: set.classes });
        expect(d.x.length).toBe(2 * size);
        expect(d.classNames).toEqual(Array.from({ length: set.classes }, (_, c) => String(c)));
        const expected = Array.from({ length: set.classes }, (_, c) => (c < set.classes - 1 ? 4 : 3));
        expect(classCounts(d)).toEqual(expected);
        expect(d.x.every(Number.isFinite)).toBe(true);
      });

      it('scales its noise: noise 0 is a different, noiseless draw', () => {
        const noisy = set.generate({ size: 100, noise: 1, seed: 3 });
        const clean = set.generate({ size: 100, noise: 0, seed: 3 });
        expect(clean.y).toEqual(noisy.y);
        expect(bytes(clean).equals(bytes(noisy))).toBe(false);
      });

      it('takes a class count only when it may vary', () => {
        const other = set.classes + 1;
        if (set.variableClasses) {
          const d = set.generate({ size: 60, noise: 1, seed: 1, classes: other });
          expect(d.classes).toBe(other);
          expect(classCounts(d).every((n) => n > 0)).toBe(true);
        } else {
          expect(() => set.generate({ size: 60, noise: 1, seed: 1, classes: other })).toThrow(InputError);
        }
      });
    });
  }

  it('rejects bad options', () => {
    expect(() => rings5({ size: -1, noise: 1, seed: 1 })).toThrow(/rings5: size must be a non-negative integer/);
    expect(rings5({ size: 0, noise: 1, seed: 1 }).size).toBe(0);
    expect(() => rings5({ size: 10.5, noise: 1, seed: 1 })).toThrow(InputError);
    expect(() => rings5({ size: 10, noise: -1, seed: 1 })).toThrow(/noise/);
    expect(() => SYNTHETIC_SETS.spiral.generate({ size: 10, noise: 1, seed: 1, classes: 1 })).toThrow(/classes/);
  });
});

describe('rings5 geometry', () => {
  const d = rings5({ size: 2000, noise: 1, seed: 11 });
  const radius = (i: number) => Math.hypot(d.x[2 * i], d.x[2 * i + 1]);
  const indices = (pred: (label: number) => boolean) => [...d.y.keys()].filter((i) => pred(d.y[i]));
  const ring = indices((c) => c < 3);

  it('stays within about [-6, 6]', () => {
    expect(d.x.every((v) => Math.abs(v) < 6.5)).toBe(true);
  });

  it('keeps the blobs far from every ring point and from each other', () => {
    for (const blob of [3, 4]) {
      let nearest = Infinity;
      for (const i of indices((c) => c === blob)) {
        for (const k of ring) nearest = Math.min(nearest, Math.hypot(d.x[2 * i] - d.x[2 * k], d.x[2 * i + 1] - d.x[2 * k + 1]));
      }
      expect(nearest).toBeGreaterThan(1);
    }
    const xs = (c: number) => indices((l) => l === c).map((i) => d.x[2 * i]);
    expect(Math.min(...xs(3))).toBeGreaterThan(Math.max(...xs(4)) + 5);
  });

  it('has rings around (0, 0) with mean radii 1, 2, 3 that overlap across the boundaries 1.5 and 2.5', () => {
    for (let c = 0; c < 3; c++) {
      const radii = indices((l) => l === c).map(radius);
      const mean = radii.reduce((a, b) => a + b, 0) / radii.length;
      expect(mean).toBeCloseTo(1 + c, 1);
    }
    // Ring points beyond a boundary of their own ring: about 5% per side of each shared boundary.
    const misplaced = ring.filter((i) => {
      const r = radius(i);
      const nearestRing = r < 1.5 ? 0 : r < 2.5 ? 1 : 2;
      return nearestRing !== d.y[i];
    });
    expect(misplaced.length / ring.length).toBeGreaterThan(0.03);
    expect(misplaced.length / ring.length).toBeLessThan(0.12);
    for (const c of [0, 1, 2]) expect(misplaced.some((i) => d.y[i] === c)).toBe(true);
  });
});

describe('makeSyntheticSplit', () => {
  it('draws train and test with different seeds from the same distribution', () => {
    const split = makeSyntheticSplit('rings5');
    expect(split.train.size).toBe(400);
    expect(split.test.size).toBe(100);
    expect(split.train.name).toBe('rings5');
    expect(split.test.name).toBe('rings5 (test)');
    expect(Array.from(split.test.x.slice(0, 20))).not.toEqual(Array.from(split.train.x.slice(0, 20)));
    const again = makeSyntheticSplit('rings5');
    expect(bytes(again.train).equals(bytes(split.train))).toBe(true);
    expect(bytes(again.test).equals(bytes(split.test))).toBe(true);
    const other = makeSyntheticSplit('rings5', { seed: 2 });
    expect(bytes(other.train).equals(bytes(split.train))).toBe(false);
  });

  it('passes sizes, noise and classes through', () => {
    const split = makeSyntheticSplit('spiral', { trainSize: 30, testSize: 12, noise: 0, classes: 4 });
    expect(split.train).toMatchObject({ size: 30, classes: 4 });
    expect(split.test).toMatchObject({ size: 12, classes: 4 });
  });

  it('rejects unknown names and bad sizes', () => {
    expect(() => makeSyntheticSplit('ring5')).toThrow(/unknown synthetic set "ring5"; known sets: rings5, spiral, moons, circles, xor, blobs/);
    expect(() => makeSyntheticSplit('toString')).toThrow(InputError);
    expect(() => makeSyntheticSplit('moons', { testSize: -1 })).toThrow(/moons: testSize must be a non-negative integer, got -1/);
    expect(() => makeSyntheticSplit('moons', { trainSize: 0 })).toThrow(/moons: trainSize must be a positive integer, got 0/);
    expect(makeSyntheticSplit('moons', { testSize: 0 }).test.size).toBe(0);
  });
});
