import { describe, expect, it } from 'vitest';
import { makeDataset } from '../../src/data/dataset.ts';
import { hexToRgb, categoricalColor, mixRgb } from '../../src/figures/colors.ts';
import { boundaryGrid, boundaryRaster, decisionBoundarySvg } from '../../src/figures/decisionBoundary.ts';
import { demoData, demoProbs } from './demo.ts';
import { checkSvg } from './helpers.ts';
import { byTag, textOf } from './xml.ts';

const square = makeDataset({
  name: 'square',
  inputs: 2,
  classes: 2,
  classNames: ['left <', 'right & "up"'],
  x: new Float32Array([0, 0, 10, 20, 0, 20, 10, 0]),
  y: new Uint32Array([0, 1, 0, 1]),
});

describe('boundaryGrid', () => {
  it('covers the bounding box plus margin with row 0 at the top', () => {
    const g = boundaryGrid(square, 4, 0.1);
    expect([g.xMin, g.xMax, g.yMin, g.yMax]).toEqual([-1, 11, -2, 22]);
    expect([g.width, g.height, g.inputs.length]).toEqual([4, 4, 32]);
    const at = (row: number, col: number) => [g.inputs[2 * (row * 4 + col)], g.inputs[2 * (row * 4 + col) + 1]];
    // Pixel centres: half a pixel (3 in x, 6 in y) inside the corners.
    expect(at(0, 0)).toEqual([-1 + 1.5, 22 - 3]);
    expect(at(0, 3)).toEqual([11 - 1.5, 22 - 3]);
    expect(at(3, 0)).toEqual([-1 + 1.5, -2 + 3]);
    expect(at(3, 3)).toEqual([11 - 1.5, -2 + 3]);
    expect(at(1, 2)).toEqual([-1 + 7.5, 22 - 9]);
  });

  it('defaults to 200 x 200 and widens a degenerate range', () => {
    const g = boundaryGrid(makeDataset({ name: 'dot', inputs: 2, classes: 1, x: new Float32Array([3, 4]), y: new Uint32Array([0]) }));
    expect([g.width, g.height, g.inputs.length]).toEqual([200, 200, 80000]);
    expect([g.xMin, g.xMax, g.yMin, g.yMax]).toEqual([2.5, 3.5, 3.5, 4.5]);
  });

  it('needs 2 inputs and a sensible resolution', () => {
    const three = makeDataset({ name: 'three', inputs: 3, classes: 1, x: new Float32Array(3), y: new Uint32Array(1) });
    expect(() => boundaryGrid(three)).toThrow(/2 inputs/);
    expect(() => boundaryGrid(square, 1)).toThrow(/resolution/);
    expect(() => boundaryGrid(square, 10, -1)).toThrow(/margin/);
  });
});

describe('boundaryRaster', () => {
  it('colours each pixel by its argmax class, paler when less confident', () => {
    const g = boundaryGrid(square, 2);
    // pixel 0: sure of class 2; pixel 1: class 0 barely; pixel 2: sure of class 1; pixel 3: NaN.
    const probs = new Float32Array([0, 0, 1, 0.4, 0.3, 0.3, 0.05, 0.9, 0.05, NaN, 0.5, 0.5]);
    const raster = boundaryRaster(g, probs, 3);
    expect(raster).toBeInstanceOf(Uint8ClampedArray);
    expect(raster.length).toBe(16);
    const px = (p: number) => Array.from(raster.slice(4 * p, 4 * p + 4));
    const expected = (c: number, s: number) => [...mixRgb([255, 255, 255], hexToRgb(categoricalColor(c)), s).map(Math.round), 255];
    expect(px(0)).toEqual(expected(2, 0.6));
    const conf1 = (0.4 - 1 / 3) / (1 - 1 / 3);
    expect(px(1)).toEqual(expected(0, 0.08 + 0.52 * conf1));
    const conf2 = (0.9 - 1 / 3) / (1 - 1 / 3);
    expect(px(2)).toEqual(expected(1, 0.08 + 0.52 * conf2));
    expect(px(3)).toEqual([220, 220, 220, 255]);
    // Less confident is closer to white.
    const sum = (p: number[]) => p[0] + p[1] + p[2];
    expect(sum(px(1))).toBeGreaterThan(sum(expected(0, 0.6)));
  });

  it('honours custom colours and checks the probs size', () => {
    const g = boundaryGrid(square, 2);
    const raster = boundaryRaster(g, new Float32Array([1, 0, 1, 0, 0, 1, 0, 1]), 2, { colors: ['#ff0000', '#0000ff'], maxStrength: 1 });
    expect(Array.from(raster.slice(0, 4))).toEqual([255, 0, 0, 255]);
    expect(Array.from(raster.slice(12, 16))).toEqual([0, 0, 255, 255]);
    expect(() => boundaryRaster(g, new Float32Array(7), 2)).toThrow(/expected 4 pixels x 2 classes = 8/);
  });
});

describe('decisionBoundarySvg', () => {
  it('places the raster image under the points with axes, legend and title', () => {
    const data = demoData(20);
    const grid = boundaryGrid(data, 50);
    const href = 'data:image/png;base64,AAAA';
    const svg = decisionBoundarySvg(grid, href, data, data.classNames);
    const root = checkSvg(svg);
    const images = byTag(root, 'image');
    expect(images).toHaveLength(1);
    expect(images[0].attrs.href).toBe(href);
    expect(images[0].attrs.preserveAspectRatio).toBe('none');
    const points = byTag(byTag(root, 'g', 'points')[0], 'circle');
    expect(points).toHaveLength(data.size);
    // Points come after (on top of) the image.
    expect(svg.indexOf('<image')).toBeLessThan(svg.indexOf('class="points"'));
    for (let i = 0; i < data.size; i++) expect(points[i].attrs.fill).toBe(categoricalColor(data.y[i]));
    const entries = byTag(root, 'g', 'legend-entry').map(textOf);
    expect(entries).toEqual([...data.classNames].map((s) => (s.length > 24 ? s.slice(0, 23) + '\u2026' : s)));
    const all = textOf(root);
    expect(all).toContain('Decision boundary');
    expect(all).toContain('x1');
    expect(all).toContain('x2');
    expect(svg).toContain('square &lt;b&gt;');
    expect(svg).toContain('tri&quot;angle&quot;');
  });

  it('points map into the plot frame: the top-left data corner is near the frame top-left', () => {
    const grid = boundaryGrid(square, 10, 0);
    const root = checkSvg(decisionBoundarySvg(grid, 'x.png', square, square.classNames, { plotSize: 300 }));
    const frame = byTag(root, 'rect', 'frame')[0];
    const pts = byTag(byTag(root, 'g', 'points')[0], 'circle');
    // square.x point 2 is (0, 20): left, top.
    expect(Number(pts[2].attrs.cx)).toBeCloseTo(Number(frame.attrs.x), 1);
    expect(Number(pts[2].attrs.cy)).toBeCloseTo(Number(frame.attrs.y), 1);
    expect(Number(pts[3].attrs.cx)).toBeCloseTo(Number(frame.attrs.x) + 300, 1);
    expect(Number(pts[3].attrs.cy)).toBeCloseTo(Number(frame.attrs.y) + 300, 1);
    expect(textOf(root)).toContain('right & "up"');
  });

  it('draws the RGBA raster as rect runs when given no image URI', () => {
    const data = demoData(10);
    const grid = boundaryGrid(data, 40);
    const raster = boundaryRaster(grid, demoProbs(grid.inputs), data.classes);
    const root = checkSvg(decisionBoundarySvg(grid, raster, data, data.classNames));
    expect(byTag(root, 'image')).toHaveLength(0);
    const runs = byTag(byTag(root, 'g', 'raster')[0], 'rect');
    expect(runs.length).toBeGreaterThanOrEqual(40);
    expect(runs.length).toBeLessThan(40 * 40);
    const uniform = boundaryRaster(grid, new Float32Array(40 * 40 * 5).map((_, i) => (i % 5 === 0 ? 1 : 0)), 5);
    const flat = checkSvg(decisionBoundarySvg(grid, uniform, data, data.classNames));
    expect(byTag(byTag(flat, 'g', 'raster')[0], 'rect')).toHaveLength(40);
    expect(() => decisionBoundarySvg(grid, new Uint8ClampedArray(10), data, data.classNames)).toThrow(/raster/);
  });

  it('leaves out points outside the grid and can subsample', () => {
    const grid = boundaryGrid(demoData(5), 20, 0);
    const data = demoData(50, 99);
    const root = checkSvg(decisionBoundarySvg(grid, 'x.png', data, data.classNames));
    const n = byTag(byTag(root, 'g', 'points')[0], 'circle').length;
    expect(n).toBeLessThan(data.size);
    const sub = checkSvg(decisionBoundarySvg(boundaryGrid(data), 'x.png', data, data.classNames, { maxPoints: 100 }));
    expect(byTag(byTag(sub, 'g', 'points')[0], 'circle')).toHaveLength(100);
  });
});

describe('decisionBoundarySvg at scale', () => {
  it('draws 200k points without hitting argument-count limits', () => {
    const n = 200_000;
    const x = new Float32Array(2 * n).map((_, i) => (i * 7919) % 1000);
    const data = makeDataset({ name: 'big', inputs: 2, classes: 1, x, y: new Uint32Array(n) });
    const svg = decisionBoundarySvg(boundaryGrid(data, 10), 'x.png', data, ['only']);
    expect(svg.split('<circle').length - 1).toBe(n + 1); // + the legend marker
  });
});
