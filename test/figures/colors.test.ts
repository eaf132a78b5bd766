import { describe, expect, it } from 'vitest';
import {
  CATEGORICAL,
  categoricalColor,
  classColors,
  hexToRgb,
  mixRgb,
  relativeLuminance,
  rgbToHex,
  sequential,
  sequentialHex,
  textColorOn,
} from '../../src/figures/colors.ts';

describe('colors', () => {
  it('has ten distinct class colours and keeps 30 classes distinct by cycling', () => {
    expect(CATEGORICAL).toHaveLength(10);
    const thirty = classColors(30);
    expect(new Set(thirty).size).toBe(30);
    for (const c of thirty) expect(c).toMatch(/^#[0-9a-f]{6}$/);
    expect(categoricalColor(3)).toBe(CATEGORICAL[3]);
  });

  it('sequential runs from viridis purple to yellow, clamped, brighter as t grows', () => {
    expect(sequentialHex(0)).toBe('#440154');
    expect(sequentialHex(1)).toBe('#fde725');
    expect(sequentialHex(-3)).toBe('#440154');
    expect(sequentialHex(7)).toBe('#fde725');
    expect(sequentialHex(NaN)).toBe('#440154');
    expect(sequentialHex(0.5)).toBe('#21918c');
    let prev = -1;
    for (let k = 0; k <= 100; k++) {
      const rgb = sequential(k / 100);
      for (const v of rgb) expect(Number.isInteger(v) && v >= 0 && v <= 255).toBe(true);
      const l = relativeLuminance(rgb);
      expect(l).toBeGreaterThanOrEqual(prev - 1e-3);
      prev = l;
    }
  });

  it('converts hex both ways and mixes', () => {
    expect(hexToRgb('#0072b2')).toEqual([0, 114, 178]);
    expect(hexToRgb('FFF')).toEqual([255, 255, 255]);
    expect(rgbToHex([0, 114, 178])).toBe('#0072b2');
    expect(rgbToHex([300, -5, 127.6])).toBe('#ff0080');
    expect(() => hexToRgb('#12345')).toThrow();
    expect(mixRgb([0, 0, 0], [255, 255, 255], 0.5)).toEqual([127.5, 127.5, 127.5]);
  });

  it('picks readable text colours', () => {
    expect(textColorOn(hexToRgb('#440154'))).toBe('#ffffff');
    expect(textColorOn(hexToRgb('#fde725'))).toBe('#000000');
    expect(textColorOn([255, 255, 255])).toBe('#000000');
  });
});
