import { describe, expect, it } from 'vitest';
import { escapeXml, formatTick, logTicks, niceStep, niceTicks, num, truncate } from '../../src/figures/svg.ts';
import { parseXml } from './xml.ts';

describe('svg helpers', () => {
  it('escapes text and attribute values, dropping characters XML forbids', () => {
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&#39;');
    const nasty = 'x\u0001y\ud800z';
    const el = parseXml(`<t a="${escapeXml(nasty)}">${escapeXml(nasty)}</t>`);
    expect(el.text).toBe('x\ufffdy\ufffdz');
  });

  it('formats coordinates compactly', () => {
    expect(num(1 / 3)).toBe('0.33');
    expect(num(12)).toBe('12');
    expect(num(-0.001)).toBe('0');
    expect(num(2.5, 1)).toBe('2.5');
    expect(num(NaN)).toBe('0');
  });

  it('makes 1-2-5 ticks', () => {
    expect(niceStep(0.13)).toBe(0.1);
    expect(niceStep(0.3)).toBe(0.2);
    expect(niceStep(4)).toBe(5);
    expect(niceTicks(0, 1.7).ticks).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(niceTicks(0.3, 0.71, 4).ticks).toEqual([0.3, 0.4, 0.5, 0.6, 0.7, 0.8]);
    expect(niceTicks(1, 3, 5, 1).ticks).toEqual([1, 2, 3]);
    expect(niceTicks(5, 5).ticks.length).toBeGreaterThan(1);
  });

  it('makes log ticks', () => {
    expect(logTicks(0.013, 1.7).ticks).toEqual([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2]);
    const wide = logTicks(1e-9, 10);
    expect(wide.ticks.length).toBeLessThanOrEqual(8);
    expect(wide.ticks.every((t) => Math.log10(t) % 1 === 0)).toBe(true);
    const narrow = logTicks(0.31, 0.42);
    expect(narrow.ticks.length).toBeGreaterThanOrEqual(3);
    expect(narrow.min).toBeLessThanOrEqual(0.31);
    expect(narrow.max).toBeGreaterThanOrEqual(0.42);
  });

  it('formats tick labels', () => {
    expect(formatTick(0.5, 0.5)).toBe('0.5');
    expect(formatTick(1, 0.5)).toBe('1.0');
    expect(formatTick(0.25, 0.05)).toBe('0.25');
    expect(formatTick(200, 100)).toBe('200');
    expect(formatTick(1e-5)).toBe('1e-5');
    expect(formatTick(0.1 + 0.2)).toBe('0.3');
  });

  it('truncates long labels', () => {
    expect(truncate('abcdef', 4)).toBe('abc\u2026');
    expect(truncate('abc', 4)).toBe('abc');
  });
});
