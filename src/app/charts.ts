// The live loss and accuracy curves (uPlot), train and test, in the colours and line styles of the CLI's
// loss-curve figure. Redrawn from the history's columns; long histories are strided to MAX_CHART_POINTS.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { categoricalColor } from '../figures/colors.ts';
import { MAX_CHART_POINTS } from './config.ts';
import type { History } from './history.ts';

const TRAIN_COLOR = categoricalColor(0);
const TEST_COLOR = categoricalColor(1);
const HEIGHT = 230;

type Kind = 'loss' | 'accuracy';

/** Decimals that write every multiple of `step` exactly (0.25 -> 2, 0.5 -> 1, 20 -> 0), at most 6. */
function stepDecimals(step: number): number {
  for (let d = 0; d < 6; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * scaled) return d;
  }
  return 6;
}

/** The legend's value: at the cursor, or the latest one when the cursor is off the chart. */
function latest(u: uPlot, series: number, value: number | null, index: number | null): number | null {
  if (index !== null && index !== undefined) return value;
  const column = u.data[series];
  return column && column.length > 0 ? (column[column.length - 1] ?? null) : null;
}

function chartOptions(kind: Kind, width: number): uPlot.Options {
  const percent = kind === 'accuracy';
  const value = (v: number | null) => (v === null || !Number.isFinite(v) ? '–' : percent ? `${(100 * v).toFixed(1)}%` : v.toFixed(4));
  return {
    width,
    height: HEIGHT,
    scales: {
      // Before the first epoch (no data): epochs 0..1, accuracy 0..100%, loss 0..1.
      x: { time: false, range: (_u, min, max) => (min === null || max === null ? [0, 1] : min === max ? [min - 1, max + 1] : [min, max]) },
      y: {
        range: (_u, min, max) => {
          if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
          if (percent) return [Math.max(0, Math.min(min, 0.9) - 0.05), Math.min(1, Math.max(max, 0) + 0.02)];
          return [0, max + Math.max(0.05 * (max - min), 1e-3)]; // cross-entropy is >= 0
        },
      },
    },
    series: [
      { label: 'epoch', value: (u, v, _s, i) => String(latest(u, 0, v, i) ?? '–') },
      { label: `train ${kind}`, stroke: TRAIN_COLOR, width: 2, points: { show: false }, value: (u, v, s, i) => value(latest(u, s, v, i)) },
      { label: `test ${kind}`, stroke: TEST_COLOR, width: 2, dash: [6, 4], points: { show: false }, value: (u, v, s, i) => value(latest(u, s, v, i)) },
    ],
    axes: [
      { label: 'epoch', labelSize: 18, size: 34, grid: { stroke: '#eceff3' } },
      {
        label: percent ? 'accuracy' : 'mean cross-entropy',
        labelSize: 18,
        size: 52,
        grid: { stroke: '#eceff3' },
        values: (_u, ticks) => {
          const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
          return ticks.map((t) => (percent ? `${(100 * t).toFixed(stepDecimals(100 * step))}%` : t.toFixed(stepDecimals(step))));
        },
      },
    ],
    cursor: { drag: { x: true, y: false } },
    legend: { live: true },
  };
}

export class Curves {
  private readonly loss: uPlot;
  private readonly accuracy: uPlot;
  /** Rows drawn by the latest update (after striding). */
  points = 0;

  constructor(lossHost: HTMLElement, accuracyHost: HTMLElement) {
    const empty: uPlot.AlignedData = [[], [], []];
    this.loss = new uPlot(chartOptions('loss', this.widthOf(lossHost)), empty, lossHost);
    this.accuracy = new uPlot(chartOptions('accuracy', this.widthOf(accuracyHost)), empty, accuracyHost);
    const resize = new ResizeObserver(() => {
      this.loss.setSize({ width: this.widthOf(lossHost), height: HEIGHT });
      this.accuracy.setSize({ width: this.widthOf(accuracyHost), height: HEIGHT });
    });
    resize.observe(lossHost);
    resize.observe(accuracyHost);
  }

  update(history: History): void {
    const [epoch, trainLoss, testLoss, trainAccuracy, testAccuracy] = history.columns(MAX_CHART_POINTS);
    this.points = epoch.length;
    this.loss.setData([epoch, trainLoss, testLoss]);
    this.accuracy.setData([epoch, trainAccuracy, testAccuracy]);
  }

  private widthOf(host: HTMLElement): number {
    return Math.max(240, Math.floor(host.clientWidth));
  }
}
