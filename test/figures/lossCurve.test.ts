import { describe, expect, it } from 'vitest';
import { accuracyCurveSvg, decimateSeries, lossCurveSvg } from '../../src/figures/lossCurve.ts';
import type { EpochRecord } from '../../src/train/metrics.ts';
import { demoHistory } from './demo.ts';
import { checkSvg } from './helpers.ts';
import { byTag, textOf, type XmlElement } from './xml.ts';

function series(root: XmlElement, label: string): XmlElement | undefined {
  return byTag(root, 'g', 'series').find((g) => g.attrs['data-label'] === label);
}

/** Points in a path's d: one per M or L command. */
function pathPoints(d: string): Array<[number, number]> {
  return [...d.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

function legend(root: XmlElement): string[] {
  return byTag(root, 'g', 'legend-entry').map(textOf);
}

describe('lossCurveSvg', () => {
  it('draws train and test loss and accuracy with axes, labels, title and legend', () => {
    const root = checkSvg(lossCurveSvg(demoHistory(50)));
    expect(root.attrs.width).toBe('720');
    expect(root.attrs.height).toBe('420');
    expect(legend(root)).toEqual(['train loss', 'test loss', 'train accuracy', 'test accuracy']);
    const all = textOf(root);
    for (const s of ['epoch', 'mean cross-entropy', 'accuracy', 'Training loss and accuracy', '%']) expect(all).toContain(s);
    for (const label of ['train loss', 'test loss', 'train accuracy', 'test accuracy']) {
      const g = series(root, label)!;
      expect(pathPoints(byTag(g, 'path')[0].attrs.d)).toHaveLength(50);
    }
    expect(byTag(series(root, 'test accuracy')!, 'path')[0].attrs['stroke-dasharray']).toBeDefined();
  });

  it('leaves the test lines out when there is no test set', () => {
    const history = demoHistory(20).map((r) => ({ ...r, testLoss: NaN, testAccuracy: NaN }));
    const root = checkSvg(lossCurveSvg(history));
    expect(legend(root)).toEqual(['train loss', 'train accuracy']);
    expect(series(root, 'test loss')).toBeUndefined();
  });

  it('turns NaN and Infinity into gaps, never into path data', () => {
    const history = demoHistory(40);
    history[10].trainLoss = NaN;
    history[11].trainLoss = Infinity;
    history[25].testLoss = -Infinity;
    history.slice(30).forEach((r) => (r.trainLoss = NaN)); // diverged
    const svg = lossCurveSvg(history);
    const root = checkSvg(svg);
    const d = byTag(series(root, 'train loss')!, 'path')[0].attrs.d;
    expect(d.match(/M/g)).toHaveLength(2);
    expect(pathPoints(d)).toHaveLength(40 - 2 - 10);
    expect(byTag(series(root, 'test loss')!, 'path')[0].attrs.d.match(/M/g)).toHaveLength(2);
  });

  it('draws a single epoch as visible markers', () => {
    const root = checkSvg(lossCurveSvg(demoHistory(1)));
    for (const label of ['train loss', 'test loss']) expect(byTag(series(root, label)!, 'circle')).toHaveLength(1);
    expect(textOf(root)).toContain('1');
  });

  it('copes with an empty history and with nothing finite', () => {
    expect(textOf(checkSvg(lossCurveSvg([])))).toContain('no epochs recorded');
    const bad: EpochRecord[] = [{ epoch: 1, trainLoss: NaN, trainAccuracy: NaN, testLoss: NaN, testAccuracy: NaN }];
    expect(textOf(checkSvg(lossCurveSvg(bad)))).toContain('no finite values');
  });

  it('caps thousands of epochs at maxPoints per series and keeps spikes', () => {
    const history = demoHistory(5000);
    history[2345].trainLoss = 9; // a spike must survive decimation
    const root = checkSvg(lossCurveSvg(history));
    const pts = pathPoints(byTag(series(root, 'train loss')!, 'path')[0].attrs.d);
    expect(pts.length).toBeLessThanOrEqual(1000);
    expect(pts.length).toBeGreaterThan(900);
    const topmost = Math.min(...pts.map((p) => p[1]));
    const frame = byTag(root, 'rect', 'frame')[0];
    expect(topmost).toBeLessThan(Number(frame.attrs.y) + 0.15 * Number(frame.attrs.height));
    expect(byTag(series(root, 'train loss')!, 'circle')).toHaveLength(0);
    const small = checkSvg(lossCurveSvg(history, { maxPoints: 100 }));
    expect(pathPoints(byTag(series(small, 'test loss')!, 'path')[0].attrs.d).length).toBeLessThanOrEqual(100);
  });

  it('supports a log loss axis, zero losses becoming gaps', () => {
    const history = demoHistory(60);
    history[20].trainLoss = 0;
    const root = checkSvg(lossCurveSvg(history, { logScale: true, accuracy: false }));
    expect(textOf(root)).toContain('log scale');
    expect(legend(root)).toEqual(['train loss', 'test loss']);
    expect(byTag(series(root, 'train loss')!, 'path')[0].attrs.d.match(/M/g)).toHaveLength(2);
  });

  it('escapes the title', () => {
    const root = checkSvg(lossCurveSvg(demoHistory(5), { title: 'a <b> & "c"' }));
    expect(textOf(root)).toContain('a <b> & "c"');
  });
});

describe('accuracyCurveSvg', () => {
  it('plots train and test accuracy on a percent axis', () => {
    const root = checkSvg(accuracyCurveSvg(demoHistory(30)));
    expect(legend(root)).toEqual(['train accuracy', 'test accuracy']);
    expect(textOf(root)).toMatch(/\d+%/);
  });
});

describe('decimateSeries', () => {
  it('returns short series unchanged', () => {
    expect(decimateSeries([1, 2, 3], [3, 1, 2], 10)).toEqual({ x: [1, 2, 3], y: [3, 1, 2] });
  });

  it('keeps at most maxPoints finite points including the global min and max', () => {
    const n = 100_000;
    const x = Array.from({ length: n }, (_, i) => i + 1);
    const y = x.map((i) => Math.sin(i / 500) + (i === 77_777 ? 5 : 0) - (i === 4_321 ? 5 : 0));
    const out = decimateSeries(x, y, 1000);
    expect(out.y.length).toBeLessThanOrEqual(1000);
    expect(Math.max(...out.y)).toBe(Math.max(...y));
    expect(Math.min(...out.y)).toBe(Math.min(...y));
    for (let i = 1; i < out.x.length; i++) expect(out.x[i]).toBeGreaterThan(out.x[i - 1]);
  });

  it('keeps gaps as single NaN markers', () => {
    const n = 10_000;
    const x = Array.from({ length: n }, (_, i) => i);
    const y = x.map((i) => (i >= 4000 && i < 6000 ? NaN : i % 2 ? Infinity : 1));
    const out = decimateSeries(x, y, 200);
    const finite = out.y.filter((v) => !Number.isNaN(v));
    expect(finite.length).toBeLessThanOrEqual(200);
    expect(finite.every((v) => v === 1)).toBe(true);
    const short = decimateSeries([1, 2, 3, 4, 5], [1, NaN, NaN, 2, Infinity], 10);
    expect(short).toEqual({ x: [1, 2, 4, 5], y: [1, NaN, 2, NaN] });
  });
});
