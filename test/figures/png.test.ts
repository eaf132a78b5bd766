import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { boundaryGrid, boundaryRaster } from '../../src/figures/decisionBoundary.ts';
import { encodePng, pngDataUri } from '../../src/figures/png.ts';
import { demoData, demoProbs } from './demo.ts';

describe('png', () => {
  it('round-trips a boundary raster through pngjs', () => {
    const data = demoData(10);
    const grid = boundaryGrid(data, 37);
    const raster = boundaryRaster(grid, demoProbs(grid.inputs), data.classes);
    const bytes = encodePng(raster, grid.width, grid.height);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(bytes.slice(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const back = PNG.sync.read(Buffer.from(bytes));
    expect([back.width, back.height]).toEqual([37, 37]);
    expect(Buffer.compare(back.data, Buffer.from(raster))).toBe(0);
  });

  it('keeps transparency when there is any', () => {
    const rgba = new Uint8ClampedArray([255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 9, 9, 9, 255, 1, 2, 3, 4, 5, 6, 7, 8]);
    const back = PNG.sync.read(Buffer.from(encodePng(rgba, 3, 2)));
    expect([back.width, back.height]).toEqual([3, 2]);
    expect(Array.from(back.data)).toEqual(Array.from(rgba));
  });

  it('makes a data URI and checks sizes', () => {
    const rgba = new Uint8Array([10, 20, 30, 255]);
    const uri = pngDataUri(rgba, 1, 1);
    expect(uri.startsWith('data:image/png;base64,')).toBe(true);
    const back = PNG.sync.read(Buffer.from(uri.slice(uri.indexOf(',') + 1), 'base64'));
    expect(Array.from(back.data)).toEqual([10, 20, 30, 255]);
    expect(() => encodePng(rgba, 2, 1)).toThrow(/expected 8/);
    expect(() => encodePng(rgba, 0, 1)).toThrow(/bad size/);
  });
});
