// Training-history line charts: loss by epoch (train and test), with accuracy as dashed lines on a
// right-hand axis, and a standalone accuracy chart. Pure functions returning standalone SVG text.

import type { EpochRecord } from '../train/metrics.ts';
import { categoricalColor } from './colors.ts';
import { escapeXml, formatTick, logTicks, niceTicks, num, svgDocument, text, textWidth, ticksWithin, type Ticks } from './svg.ts';

export interface LossCurveOptions {
  /** Pixel width of the figure (default 720). */
  width?: number;
  /** Pixel height of the figure (default 420). */
  height?: number;
  /** Title (default "Training loss and accuracy", or "Training loss" when accuracy is off). */
  title?: string;
  /** Logarithmic loss axis (default false); zero and negative losses then show as gaps. */
  logScale?: boolean;
  /** Most points drawn per series; longer histories are min/max decimated (default 1000). */
  maxPoints?: number;
  /** Also draw train/test accuracy as dashed lines on a right-hand 0-100% axis (default true). */
  accuracy?: boolean;
}

export interface AccuracyCurveOptions {
  /** Pixel width of the figure (default 720). */
  width?: number;
  /** Pixel height of the figure (default 420). */
  height?: number;
  /** Title (default "Accuracy"). */
  title?: string;
  /** Most points drawn per series (default 1000). */
  maxPoints?: number;
}

const TRAIN_COLOR = categoricalColor(0);
const TEST_COLOR = categoricalColor(1);

/**
 * Loss by epoch as a standalone SVG: train loss and test loss (solid; test only where it is a
 * number, so a history without a test set has no test line), and by default train/test accuracy
 * (dashed, right-hand axis). NaN/Infinity values leave gaps; epochs beyond `maxPoints` are
 * decimated keeping each bucket's min and max, so the shape (spikes included) survives.
 */
export function lossCurveSvg(history: readonly EpochRecord[], options: LossCurveOptions = {}): string {
  const withAccuracy = options.accuracy ?? true;
  const xs = history.map((r) => r.epoch);
  const series: SeriesSpec[] = [
    { label: 'train loss', color: TRAIN_COLOR, dashed: false, axis: 'left', x: xs, y: history.map((r) => r.trainLoss) },
    { label: 'test loss', color: TEST_COLOR, dashed: false, axis: 'left', x: xs, y: history.map((r) => r.testLoss) },
  ];
  if (withAccuracy) {
    series.push(
      { label: 'train accuracy', color: TRAIN_COLOR, dashed: true, axis: 'right', x: xs, y: history.map((r) => r.trainAccuracy) },
      { label: 'test accuracy', color: TEST_COLOR, dashed: true, axis: 'right', x: xs, y: history.map((r) => r.testAccuracy) },
    );
  }
  return lineChart({
    width: options.width ?? 720,
    height: options.height ?? 420,
    title: options.title ?? (withAccuracy ? 'Training loss and accuracy' : 'Training loss'),
    xLabel: 'epoch',
    left: { label: options.logScale ? 'mean cross-entropy (log scale)' : 'mean cross-entropy', kind: options.logScale ? 'log' : 'linear' },
    right: withAccuracy ? { label: 'accuracy', kind: 'percent' } : undefined,
    series,
    maxPoints: options.maxPoints ?? 1000,
  });
}

/** Train and test accuracy by epoch as a standalone SVG (percent axis), same conventions as lossCurveSvg. */
export function accuracyCurveSvg(history: readonly EpochRecord[], options: AccuracyCurveOptions = {}): string {
  const xs = history.map((r) => r.epoch);
  return lineChart({
    width: options.width ?? 720,
    height: options.height ?? 420,
    title: options.title ?? 'Accuracy',
    xLabel: 'epoch',
    left: { label: 'accuracy', kind: 'percent' },
    series: [
      { label: 'train accuracy', color: TRAIN_COLOR, dashed: false, axis: 'left', x: xs, y: history.map((r) => r.trainAccuracy) },
      { label: 'test accuracy', color: TEST_COLOR, dashed: false, axis: 'left', x: xs, y: history.map((r) => r.testAccuracy) },
    ],
    maxPoints: options.maxPoints ?? 1000,
  });
}

/** One run of a sweep, as sweepCurvesSvg draws it. */
export interface SweepCurve {
  history: readonly EpochRecord[];
  /** Runs of one group (a configuration over seeds) share a colour and one legend entry. */
  group: string;
}

export interface SweepCurvesOptions {
  width?: number;
  height?: number;
  title?: string;
  /** Logarithmic loss axis (default true: runs of a sweep span decades). */
  logScale?: boolean;
  maxPoints?: number;
}

/**
 * Every run's loss by epoch in one chart: train solid, test dashed, one colour per group (its seeds
 * share it), so that unstable learning rates and overfitting show at a glance. Runs are drawn as given;
 * pass diverged runs or not as the caller decides (their NaN epochs are gaps either way).
 */
export function sweepCurvesSvg(curves: readonly SweepCurve[], options: SweepCurvesOptions = {}): string {
  const groups = [...new Set(curves.map((c) => c.group))];
  const series: SeriesSpec[] = [];
  const named = new Set<string>();
  for (const curve of curves) {
    const color = categoricalColor(groups.indexOf(curve.group));
    const xs = curve.history.map((r) => r.epoch);
    const first = !named.has(curve.group);
    named.add(curve.group);
    series.push({ label: curve.group, legend: first, color, dashed: false, axis: 'left', x: xs, y: curve.history.map((r) => r.trainLoss) });
    series.push({ label: `${curve.group} (test)`, legend: false, color, dashed: true, axis: 'left', x: xs, y: curve.history.map((r) => r.testLoss) });
  }
  const log = options.logScale ?? true;
  return lineChart({
    width: options.width ?? 900,
    height: options.height ?? 520,
    title: options.title ?? 'Loss of every run (solid: train, dashed: test)',
    xLabel: 'epoch',
    left: { label: log ? 'mean cross-entropy (log scale)' : 'mean cross-entropy', kind: log ? 'log' : 'linear' },
    series,
    maxPoints: options.maxPoints ?? 500,
  });
}

/**
 * Min/max decimation of a series to at most `maxPoints` finite points (at least 2). Up to maxPoints
 * points are returned unchanged. Longer series are cut into maxPoints/2 equal index buckets and each
 * keeps its minimum and maximum in index order. Non-finite y values are gaps: they come back as one
 * NaN y (a pen-up marker, not counted as a point), and a bucket holding a gap keeps the finite
 * points right before and after it so the line ends and restarts where the data does.
 */
export function decimateSeries(x: ArrayLike<number>, y: ArrayLike<number>, maxPoints = 1000): { x: number[]; y: number[] } {
  const n = Math.min(x.length, y.length);
  const ox: number[] = [];
  const oy: number[] = [];
  const push = (i: number) => {
    ox.push(x[i]);
    oy.push(y[i]);
  };
  const gap = (i: number) => {
    if (oy.length > 0 && Number.isNaN(oy[oy.length - 1])) return;
    ox.push(x[i]);
    oy.push(NaN);
  };
  const limit = Math.max(2, Math.floor(maxPoints));
  if (n <= limit) {
    for (let i = 0; i < n; i++) {
      if (Number.isFinite(y[i])) push(i);
      else gap(i);
    }
    return { x: ox, y: oy };
  }
  const buckets = Math.floor(limit / 2);
  for (let b = 0; b < buckets; b++) {
    const s = Math.floor((b * n) / buckets);
    const e = Math.floor(((b + 1) * n) / buckets);
    let firstBad = -1;
    let lastBad = -1;
    let iMin = -1;
    let iMax = -1;
    for (let i = s; i < e; i++) {
      const v = y[i];
      if (!Number.isFinite(v)) {
        if (firstBad < 0) firstBad = i;
        lastBad = i;
      } else {
        if (iMin < 0 || v < y[iMin]) iMin = i;
        if (iMax < 0 || v > y[iMax]) iMax = i;
      }
    }
    if (firstBad < 0) {
      const a = Math.min(iMin, iMax);
      const c = Math.max(iMin, iMax);
      push(a);
      if (c !== a) push(c);
    } else {
      if (firstBad > s) push(firstBad - 1);
      gap(firstBad);
      if (lastBad < e - 1) push(lastBad + 1);
    }
  }
  return { x: ox, y: oy };
}

// ---------------------------------------------------------------------------------------------
// The line chart behind both figures.

interface SeriesSpec {
  label: string;
  /** Shown in the legend (default true). */
  legend?: boolean;
  color: string;
  dashed: boolean;
  axis: 'left' | 'right';
  x: number[];
  y: number[];
}

interface AxisSpec {
  label: string;
  /** linear: from 0 (losses); log: 1-2-5 decades; percent: 0..1 shown as %, range from the data. */
  kind: 'linear' | 'log' | 'percent';
}

interface ChartSpec {
  width: number;
  height: number;
  title: string;
  xLabel: string;
  left: AxisSpec;
  right?: AxisSpec;
  series: SeriesSpec[];
  maxPoints: number;
}

interface Scale {
  ticks: number[];
  labels: string[];
  /** Data value to pixel. */
  map: (v: number) => number;
}

const AXIS_COLOR = '#333333';
const GRID_COLOR = '#e6e6e6';
const FONT = 12;

function yAxisTicks(kind: AxisSpec['kind'], values: number[]): { t: Ticks; labels: string[]; log: boolean } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const empty = !(lo <= hi);
  if (kind === 'log') {
    const t = empty ? logTicks(0.1, 10) : logTicks(lo, hi);
    return { t, labels: t.ticks.map((v) => formatTick(v, Number.isFinite(t.step) ? t.step : undefined)), log: true };
  }
  if (kind === 'percent') {
    let a = empty ? 0 : Math.max(0, lo);
    let b = empty ? 1 : Math.min(1, hi);
    if (b - a < 0.02) {
      a = Math.max(0, a - 0.01);
      b = Math.min(1, b + 0.01);
    }
    const raw = niceTicks(a, b, 5);
    const ticks = raw.ticks.filter((v) => v >= -1e-9 && v <= 1 + 1e-9);
    const t: Ticks = { ticks, step: raw.step, min: Math.max(0, raw.min), max: Math.min(1, raw.max) };
    const labels = ticks.map((v) => `${formatTick(v * 100, raw.step * 100)}%`);
    return { t, labels, log: false };
  }
  const t = niceTicks(empty ? 0 : Math.min(0, lo), empty ? 1 : hi, 5);
  return { t, labels: t.ticks.map((v) => formatTick(v, t.step)), log: false };
}

function lineChart(spec: ChartSpec): string {
  const { width, height } = spec;
  const axes: Array<'left' | 'right'> = spec.right ? ['left', 'right'] : ['left'];
  const axisSpec = (a: 'left' | 'right') => (a === 'left' ? spec.left : spec.right!);

  // Clean and decimate each series; a series with nothing finite is left out entirely.
  const drawn = spec.series
    .map((s) => {
      const log = axisSpec(s.axis).kind === 'log';
      const y = s.y.map((v) => (Number.isFinite(v) && (!log || v > 0) ? v : NaN));
      const x = s.x.map((v) => (Number.isFinite(v) ? v : NaN));
      const ok = y.map((v, i) => !Number.isNaN(v) && !Number.isNaN(x[i]));
      const yy = y.map((v, i) => (ok[i] ? v : NaN));
      return { ...s, ...decimateSeries(x.map((v) => (Number.isNaN(v) ? 0 : v)), yy, spec.maxPoints) };
    })
    .filter((s) => s.y.some((v) => !Number.isNaN(v)));

  // x range: every finite epoch of the history.
  let xMin = Infinity;
  let xMax = -Infinity;
  for (const s of spec.series) {
    for (const v of s.x) {
      if (!Number.isFinite(v)) continue;
      xMin = Math.min(xMin, v);
      xMax = Math.max(xMax, v);
    }
  }
  if (!(xMin <= xMax)) {
    xMin = 0;
    xMax = 1;
  } else if (xMin === xMax) {
    xMin -= 1;
    xMax += 1;
  }
  const integerX = spec.series.every((s) => s.x.every((v) => !Number.isFinite(v) || Number.isInteger(v)));
  const xTicks = ticksWithin(xMin, xMax, 8, integerX ? 1 : 0);
  const xStep = xTicks.length > 1 ? xTicks[1] - xTicks[0] : 1;

  // y ranges per axis from the drawn values.
  const yInfo = new Map<'left' | 'right', ReturnType<typeof yAxisTicks>>();
  for (const a of axes) {
    const values: number[] = [];
    for (const s of drawn) if (s.axis === a) for (const v of s.y) if (!Number.isNaN(v)) values.push(v);
    yInfo.set(a, yAxisTicks(axisSpec(a).kind, values));
  }

  // Layout.
  const titleH = 34;
  const legendItems = drawn.filter((s) => s.legend !== false).map((s) => ({ s, w: 26 + 6 + textWidth(s.label, FONT) + 18 }));
  const labelW = (a: 'left' | 'right') => Math.max(0, ...yInfo.get(a)!.labels.map((l) => textWidth(l, FONT)));
  const left = Math.ceil(22 + 8 + labelW('left') + 8);
  const right = spec.right ? Math.ceil(22 + 8 + labelW('right') + 8) : 24;
  const plotW = Math.max(40, width - left - right);
  // Legend rows, wrapped to the plot width.
  const rows: (typeof legendItems)[] = [];
  let rowW = 0;
  for (const item of legendItems) {
    if (rows.length === 0 || rowW + item.w > plotW) {
      rows.push([]);
      rowW = 0;
    }
    rows[rows.length - 1].push(item);
    rowW += item.w;
  }
  const legendH = rows.length * 18;
  const top = titleH + legendH + 10;
  const bottom = 48;
  const plotH = Math.max(40, height - top - bottom);
  const x0 = left;
  const x1 = left + plotW;
  const y0 = top;
  const y1 = top + plotH;

  const sx = (v: number) => x0 + ((v - xMin) / (xMax - xMin)) * plotW;
  const scales = new Map<'left' | 'right', Scale>();
  for (const a of axes) {
    const info = yInfo.get(a)!;
    const { min, max } = info.t;
    const map = info.log
      ? (v: number) => y1 - ((Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * plotH
      : (v: number) => y1 - ((v - min) / (max - min)) * plotH;
    scales.set(a, { ticks: info.t.ticks, labels: info.labels, map });
  }

  const out: string[] = [];
  out.push(text(width / 2, 22, spec.title, 'text-anchor="middle" font-size="16" font-weight="bold"'));

  // Legend, centred over the plot.
  rows.forEach((row, r) => {
    const total = row.reduce((acc, it) => acc + it.w, 0) - 18;
    let x = x0 + (plotW - total) / 2;
    const y = titleH + 6 + r * 18;
    for (const { s, w } of row) {
      out.push(
        `<g class="legend-entry"><line x1="${num(x)}" y1="${num(y)}" x2="${num(x + 26)}" y2="${num(y)}" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>` +
          text(x + 32, y + 4, s.label) +
          '</g>',
      );
      x += w;
    }
  });

  // Grid and ticks.
  const grid: string[] = [];
  const ticks: string[] = [];
  const leftScale = scales.get('left')!;
  leftScale.ticks.forEach((t, i) => {
    const y = leftScale.map(t);
    grid.push(`M${num(x0)} ${num(y)}H${num(x1)}`);
    ticks.push(`M${num(x0 - 5)} ${num(y)}H${num(x0)}`);
    out.push(text(x0 - 8, y + 4, leftScale.labels[i], 'text-anchor="end"'));
  });
  const rightScale = scales.get('right');
  rightScale?.ticks.forEach((t, i) => {
    const y = rightScale.map(t);
    ticks.push(`M${num(x1)} ${num(y)}H${num(x1 + 5)}`);
    out.push(text(x1 + 8, y + 4, rightScale.labels[i], 'text-anchor="start"'));
  });
  for (const t of xTicks) {
    const x = sx(t);
    grid.push(`M${num(x)} ${num(y0)}V${num(y1)}`);
    ticks.push(`M${num(x)} ${num(y1)}V${num(y1 + 5)}`);
    out.push(text(x, y1 + 19, formatTick(t, xStep), 'text-anchor="middle"'));
  }
  out.unshift(`<path class="grid" d="${grid.join('')}" stroke="${GRID_COLOR}" stroke-width="1" fill="none"/>`);
  out.push(`<path class="ticks" d="${ticks.join('')}" stroke="${AXIS_COLOR}" stroke-width="1" fill="none"/>`);
  out.push(`<rect class="frame" x="${num(x0)}" y="${num(y0)}" width="${num(plotW)}" height="${num(plotH)}" fill="none" stroke="${AXIS_COLOR}" stroke-width="1"/>`);

  // Axis labels.
  out.push(text(x0 + plotW / 2, height - 10, spec.xLabel, 'text-anchor="middle" font-size="13"'));
  const ly = y0 + plotH / 2;
  out.push(text(16, ly, spec.left.label, `text-anchor="middle" font-size="13" transform="rotate(-90 16 ${num(ly)})"`));
  if (spec.right) {
    const rx = width - 12;
    out.push(text(rx, ly, spec.right.label, `text-anchor="middle" font-size="13" transform="rotate(90 ${num(rx)} ${num(ly)})"`));
  }

  // Series: accuracy (dashed) under loss (solid).
  const ordered = [...drawn].sort((a, b) => Number(b.dashed) - Number(a.dashed));
  for (const s of ordered) {
    const sy = scales.get(s.axis)!.map;
    let d = '';
    let penDown = false;
    const pts: Array<[number, number, boolean]> = []; // x, y, isolated
    for (let i = 0; i < s.y.length; i++) {
      const v = s.y[i];
      if (Number.isNaN(v)) {
        penDown = false;
        continue;
      }
      const px = sx(s.x[i]);
      const py = sy(v);
      d += `${penDown ? 'L' : 'M'}${num(px, 1)} ${num(py, 1)}`;
      const prevGap = i === 0 || Number.isNaN(s.y[i - 1]);
      const nextGap = i === s.y.length - 1 || Number.isNaN(s.y[i + 1]);
      pts.push([px, py, prevGap && nextGap]);
      penDown = true;
    }
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<g class="series" data-label="${escapeXml(s.label)}">`);
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"${dash}/>`);
    const markAll = pts.length <= 30;
    const fill = s.dashed ? '#ffffff' : s.color;
    for (const [px, py, isolated] of pts) {
      if (markAll || isolated) out.push(`<circle cx="${num(px, 1)}" cy="${num(py, 1)}" r="3" fill="${fill}" stroke="${s.color}" stroke-width="1.5"/>`);
    }
    out.push('</g>');
  }
  if (drawn.length === 0) {
    out.push(text(x0 + plotW / 2, y0 + plotH / 2, spec.series.length && spec.series[0].x.length ? 'no finite values to plot' : 'no epochs recorded', 'text-anchor="middle" fill="#666666"'));
  }
  return svgDocument(width, height, out, spec.title);
}
