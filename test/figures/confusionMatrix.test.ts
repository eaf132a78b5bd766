import { describe, expect, it } from 'vitest';
import { confusionMatrixSvg } from '../../src/figures/confusionMatrix.ts';
import { summarize } from '../../src/train/metrics.ts';
import { makeRng } from '../../src/random.ts';
import { checkSvg } from './helpers.ts';
import { byTag, textOf } from './xml.ts';

function randomConfusion(n: number, seed: number, scale = 50): number[][] {
  const rng = makeRng(seed);
  return Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => (r === c ? scale + Math.floor(rng() * scale) : Math.floor(rng() * rng() * scale * 0.3))));
}

describe('confusionMatrixSvg', () => {
  it.each([2, 3, 5, 10, 12])('draws the cells of %i classes with their counts', (n) => {
    const m = randomConfusion(n, n);
    const names = Array.from({ length: n }, (_, c) => `class ${c}`);
    const root = checkSvg(confusionMatrixSvg(summarize(1.5 * n, m), names));
    const cells = byTag(root, 'rect', 'cell');
    expect(cells).toHaveLength(n * n);
    const counts = byTag(root, 'text', 'count');
    expect(counts).toHaveLength(n * n);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const cell = cells[r * n + c];
        expect([cell.attrs['data-row'], cell.attrs['data-col']]).toEqual([String(r), String(c)]);
        expect(textOf(counts[r * n + c])).toBe(String(m[r][c]));
      }
    }
    expect(byTag(root, 'g', 'recall')[0].children).toHaveLength(n);
    expect(byTag(root, 'g', 'precision')[0].children).toHaveLength(n);
  });

  it('colours by count with readable text, and has a ticked colour bar', () => {
    const m = [
      [90, 0, 10],
      [5, 60, 0],
      [0, 30, 45],
    ];
    const svg = confusionMatrixSvg(summarize(100, m), ['a', 'b', 'c']);
    const root = checkSvg(svg);
    const cells = byTag(root, 'rect', 'cell');
    const counts = byTag(root, 'text', 'count');
    expect(cells[0].attrs.fill).toBe('#fde725'); // the largest count: top of the scale
    expect(counts[0].attrs.fill).toBe('#000000');
    expect(cells[1].attrs.fill).toBe('#440154'); // zero: bottom of the scale
    expect(counts[1].attrs.fill).toBe('#ffffff');
    const bar = byTag(root, 'g', 'colorbar')[0];
    expect(byTag(bar, 'rect').length).toBeGreaterThan(10);
    const ticks = byTag(bar, 'text', 'colorbar-tick').map(textOf);
    expect(ticks[0]).toBe('0');
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(Number(ticks[ticks.length - 1])).toBeLessThanOrEqual(90);
    expect(textOf(bar)).toContain('count');
  });

  it('labels axes, gives accuracy in the title and precision/recall per class', () => {
    const m = [
      [8, 2],
      [0, 10],
    ];
    const ev = summarize(3, m);
    const root = checkSvg(confusionMatrixSvg(ev, ['neg', 'pos']));
    const all = textOf(root);
    expect(all).toContain('true class');
    expect(all).toContain('predicted class');
    expect(all).toContain('accuracy 90.0%');
    expect(all).toContain('20 samples');
    expect(byTag(root, 'g', 'recall')[0].children.map(textOf)).toEqual(['0.80', '1.00']);
    expect(byTag(root, 'g', 'precision')[0].children.map(textOf)).toEqual(['1.00', '0.83']);
  });

  it('escapes class names, cuts long ones and shows undefined precision as a dash', () => {
    const names = ['<cat>', 'A & "B"', 'an extremely long class name indeed'];
    const m = [
      [3, 0, 0],
      [1, 2, 0],
      [0, 0, 0],
    ];
    const svg = confusionMatrixSvg(summarize(1, m), names);
    const root = checkSvg(svg);
    expect(svg).toContain('&lt;cat&gt;');
    expect(svg).toContain('A &amp; &quot;B&quot;');
    const rowLabels = byTag(root, 'g', 'row-labels')[0].children.map(textOf);
    expect(rowLabels.slice(0, 2)).toEqual(['<cat>', 'A & "B"']);
    expect(rowLabels[2]).toMatch(/^an extremely lo\u2026$/);
    expect(byTag(root, 'g', 'precision')[0].children.map(textOf)[2]).toBe('\u2013');
    expect(byTag(root, 'g', 'recall')[0].children.map(textOf)[2]).toBe('\u2013');
  });

  it('handles an empty evaluation and large counts', () => {
    const empty = checkSvg(confusionMatrixSvg(summarize(0, [[0, 0], [0, 0]]), ['a', 'b']));
    expect(textOf(empty)).toContain('accuracy n/a');
    const big = checkSvg(confusionMatrixSvg(summarize(0, randomConfusion(4, 1, 60000)), ['a', 'b', 'c', 'd']));
    expect(byTag(big, 'rect', 'cell')).toHaveLength(16);
  });

  it('has a log colour scale that lifts small counts off the bottom', () => {
    const m = [
      [10000, 1],
      [30, 9000],
    ];
    const linear = checkSvg(confusionMatrixSvg(summarize(0, m), ['a', 'b']));
    const log = checkSvg(confusionMatrixSvg(summarize(0, m), ['a', 'b'], { colorScale: 'log' }));
    expect(byTag(linear, 'rect', 'cell')[1].attrs.fill).toBe('#440154');
    expect(byTag(log, 'rect', 'cell')[1].attrs.fill).not.toBe('#440154');
    expect(byTag(log, 'rect', 'cell')[0].attrs.fill).toBe('#fde725');
    const bar = byTag(log, 'g', 'colorbar')[0];
    expect(textOf(bar)).toContain('log scale');
    const ticks = byTag(bar, 'text', 'colorbar-tick').map((t) => Number(textOf(t)));
    expect(ticks).toContain(1000);
    expect(ticks[0]).toBe(0);
    expect(textOf(log)).toContain('19,031 samples');
  });

  it('rejects a matrix that is not square', () => {
    expect(() => confusionMatrixSvg(summarize(0, [[1, 2]]), ['a'])).toThrow(/not 1x1/);
  });
});
