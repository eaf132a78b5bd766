// The sweep view: a grid of configurations (learning rates, seeds 1..N, hidden sizes, optimizers, epochs)
// trained by runSweep, the library's sweep (the CLI's `wgtrain sweep` runs the same), on the page's data and
// the rest of its settings (activation, batch size, momentum, standardization, backend). On the GPU, runs
// of one shape train side by side in the same dispatches. Live curves of every run (one uPlot chart, train
// loss solid and test loss dashed, one colour per group of seeds), a progress line, then the groups (mean
// ± std over seeds) and the runs ranked by test loss, diverged runs marked and last, and the best run's
// model.json. runSweep yields to the browser after every chunk (SweepHooks.afterChunk), so the page stays
// responsive, and Stop ends the sweep there.

import uPlot from 'uplot';
import { OPTIMIZERS, type OptimizerKind } from '../cpu/optimizer.ts';
import type { DataSplit } from '../data/dataset.ts';
import { InputError } from '../data/dataset.ts';
import { categoricalColor } from '../figures/colors.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { EpochRecord } from '../train/metrics.ts';
import type { TrainConfig } from '../train/runTraining.ts';
import { expandSweep, runSweep, type Spread, type SweepGrid, type SweepProgress, type SweepResult, type SweepRun } from '../train/sweep.ts';
import { MAX_CHART_POINTS, OPTIMIZER_LABELS, TIMING } from './config.ts';
import { $, ThrottledDraw, legendItems } from './dom.ts';
import { downloadModel } from './download.ts';
import { strideRows } from './history.ts';
import { yieldToBrowser } from './session.ts';

/** The sweep fields as typed. */
export interface SweepFields {
  lrs: string;
  /** How many seeds: every configuration trains with seeds 1..N. */
  seeds: string;
  /** Hidden layer sizes per architecture: "12", "8, 12, 16", "8x8" (two layers of 8). */
  hidden: string;
  optimizers: OptimizerKind[];
  epochs: string;
}

/** What the rest of the page decides: the data and every setting the grid does not vary. */
export interface SweepContext {
  split: DataSplit;
  base: TrainConfig;
  /** model.json's record of how to remake the data (a synthetic set's noise and seed). */
  dataRecord?: Record<string, unknown>;
  /** The page's device (PageGpu.acquire): a sweep borrows it rather than opening its own. */
  acquireGpu: () => Promise<GpuContext>;
}

export type SweepStatus = 'idle' | 'running' | 'done' | 'stopped' | 'error';

const CHART_HEIGHT = 300;

/** Tokens of a comma or space separated list. */
const tokens = (text: string) => text.split(/[\s,]+/).filter((t) => t !== '');

/**
 * The grid the fields describe; bad values throw runSweep's own InputError (validateGrid: "--lr: 0.1 is
 * listed twice"). A token that is not a number stays NaN, which validateGrid names as not valid.
 */
export function parseSweepFields(fields: SweepFields, page: Pick<TrainConfig, 'activation' | 'batchSize'>): SweepGrid {
  const count = Number(fields.seeds.trim());
  if (!Number.isInteger(count) || count < 1) throw new InputError(`seeds: "${fields.seeds}" is not a number of seeds (a positive integer)`);
  return {
    lrs: tokens(fields.lrs).map(Number),
    seeds: Array.from({ length: count }, (_, i) => i + 1),
    hidden: tokens(fields.hidden).map((t) => t.split('x').map(Number)),
    activations: [page.activation],
    optimizers: OPTIMIZERS.filter((o) => fields.optimizers.includes(o)),
    batchSizes: [page.batchSize],
    epochs: tokens(fields.epochs).map(Number),
  };
}

/** Loss values for a log axis: non-finite and non-positive ones are gaps. */
const logValue = (v: number) => (Number.isFinite(v) && v > 0 ? v : null);

/** The live curves of every run: x = epoch, per run a train (solid) and a test (dashed) loss series. */
class SweepChart {
  private plot: uPlot | null = null;
  /** Per run, its group's colour index. */
  private colors: number[] = [];
  /** What the latest update drew: rows (after striding) and, per series, its non-empty points. */
  points = 0;
  seriesPoints: number[] = [];

  constructor(private readonly host: HTMLElement) {
    new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: CHART_HEIGHT })).observe(host);
  }

  /** A new chart for the runs of a sweep; `groupOf[i]` is run i's group index. */
  reset(runs: readonly SweepRun[], groupOf: readonly number[]): void {
    this.plot?.destroy();
    this.colors = [...groupOf];
    const series: uPlot.Series[] = [{ label: 'epoch' }];
    for (const run of runs) {
      const stroke = categoricalColor(groupOf[run.index]);
      series.push({ label: `${run.label} train`, stroke, width: 1.5, points: { show: false } });
      series.push({ label: `${run.label} test`, stroke, width: 1.5, dash: [5, 4], points: { show: false } });
    }
    const options: uPlot.Options = {
      width: this.width(),
      height: CHART_HEIGHT,
      scales: {
        x: { time: false, range: (_u, min, max) => (min === null || max === null ? [0, 1] : min === max ? [min - 1, max + 1] : [min, max]) },
        y: { distr: 3, range: (_u, min, max) => (min === null || max === null || !(min > 0) || !Number.isFinite(max) ? [0.01, 10] : uPlot.rangeLog(min, max, 10, true)) },
      },
      series,
      axes: [
        { label: 'epoch', labelSize: 18, size: 34, grid: { stroke: '#eceff3' } },
        { label: 'mean cross-entropy (log)', labelSize: 18, size: 56, grid: { stroke: '#eceff3' } },
      ],
      legend: { show: false },
      cursor: { drag: { x: true, y: false } },
    };
    this.plot = new uPlot(options, [[], ...runs.flatMap(() => [[], []])], this.host);
    this.points = 0;
    this.seriesPoints = series.slice(1).map(() => 0);
  }

  update(histories: readonly (readonly EpochRecord[])[]): void {
    if (!this.plot) return;
    const longest = histories.reduce((a, h) => (h.length > a.length ? h : a), [] as readonly EpochRecord[]);
    const rows = strideRows(longest.length, MAX_CHART_POINTS);
    const columns: (number | null)[][] = [];
    for (const h of histories) {
      columns.push(rows.map((i) => (i < h.length ? logValue(h[i].trainLoss) : null)));
      columns.push(rows.map((i) => (i < h.length ? logValue(h[i].testLoss) : null)));
    }
    this.points = rows.length;
    this.seriesPoints = columns.map((c) => c.filter((v) => v !== null).length);
    this.plot.setData([rows.map((i) => longest[i].epoch), ...columns] as uPlot.AlignedData);
  }

  /** Series per run (train and test) and runs drawn. */
  get runs(): number {
    return this.colors.length;
  }

  private width(): number {
    return Math.max(240, Math.floor(this.host.clientWidth));
  }
}

/** Stops a sweep at its next chunk (thrown from afterChunk). */
class SweepStopped extends Error {
  override readonly name = 'SweepStopped';
}

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : '–');
const loss = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : '–');
const spread = (s: Spread, format: (v: number) => string) => (Number.isFinite(s.mean) ? `${format(s.mean)} ± ${format(s.std)}` : '–');

function cells(tag: 'td' | 'th', values: string[]): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const v of values) {
    const cell = document.createElement(tag);
    cell.textContent = v;
    tr.append(cell);
  }
  return tr;
}

/** The sweep panel (fields and buttons) and the sweep card (chart, progress, tables, download). */
export class SweepView {
  status: SweepStatus = 'idle';
  private error: string | null = null;
  private result: SweepResult | null = null;
  private progress: SweepProgress | null = null;
  private notes: string[] = [];
  private stopRequested = false;
  private started = 0;
  private readonly chart = new SweepChart($('sweep-chart'));
  /** The curves are redrawn at most every TIMING.chartRefreshMs. */
  private readonly redraw = new ThrottledDraw(TIMING.chartRefreshMs, () => this.draw());
  /** Chart redraws while the sweep trained (not counting the final one). */
  private liveDraws = 0;

  /**
   * `context` reads the page's data and settings when Sweep is clicked (throws InputError on bad ones);
   * `beforeRun` pauses the page's own training, which would share the GPU.
   */
  constructor(
    private readonly context: () => SweepContext,
    private readonly beforeRun: () => void,
  ) {
    const box = $('sweep-optimizers');
    box.replaceChildren(
      ...OPTIMIZERS.map((o) => {
        const label = document.createElement('label');
        label.className = 'inline-check';
        const input = document.createElement('input');
        input.type = 'checkbox';
        input.value = o;
        input.checked = o === 'gd';
        input.dataset.testid = `sweep-optimizer-${o}`;
        label.append(input, OPTIMIZER_LABELS[o]);
        return label;
      }),
    );
    $('sweep-start').addEventListener('click', () => void this.run());
    $('sweep-stop').addEventListener('click', () => (this.stopRequested = true));
    $('sweep-download').addEventListener('click', () => {
      const best = this.best();
      if (best) downloadModel(best.model);
    });
    this.renderButtons();
  }

  private fields(): SweepFields {
    const value = (id: string) => $<HTMLInputElement>(id).value;
    const optimizers = Array.from($('sweep-optimizers').querySelectorAll<HTMLInputElement>('input:checked')).map((i) => i.value as OptimizerKind);
    return { lrs: value('sweep-lrs'), seeds: value('sweep-seeds'), hidden: value('sweep-hidden'), optimizers, epochs: value('sweep-epochs') };
  }

  /** Trains the grid of the fields; bad input is shown under the fields, never thrown. */
  async run(): Promise<void> {
    if (this.status === 'running') return;
    let context: SweepContext;
    let grid: SweepGrid;
    let runs: SweepRun[];
    try {
      context = this.context();
      grid = parseSweepFields(this.fields(), context.base);
      runs = expandSweep(context.base, grid, context.split.train);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.setError(error.message);
      return;
    }
    this.setError(null);
    this.beforeRun();
    this.status = 'running';
    this.stopRequested = false;
    this.result = null;
    this.progress = null;
    this.notes = [];
    this.liveDraws = 0;
    this.started = performance.now();
    $('sweep-card').hidden = false;
    const groups = [...new Set(runs.map((r) => r.group))];
    this.chart.reset(runs, runs.map((r) => groups.indexOf(r.group)));
    this.renderLegend(groups);
    this.renderTables();
    this.renderButtons();
    this.renderProgress();
    const gpu = context.base.backend !== 'cpu';
    try {
      this.result = await runSweep(context.split, context.base, grid, {
        acquireGpu: gpu ? context.acquireGpu : undefined,
        dataRecord: context.dataRecord,
        targetMs: TIMING.chunkTargetMs[gpu ? 'gpu' : 'cpu'],
        onNotice: (message) => this.notes.push(message),
        onProgress: (progress) => {
          this.progress = progress;
          this.redraw.soon();
        },
        afterChunk: async () => {
          if (this.stopRequested) throw new SweepStopped('stopped');
          await yieldToBrowser();
        },
      });
      this.status = 'done';
    } catch (error) {
      this.status = error instanceof SweepStopped ? 'stopped' : 'error';
      if (!(error instanceof SweepStopped)) this.setError(error instanceof Error ? error.message : String(error));
    }
    this.redraw.now();
    this.renderTables();
    this.renderButtons();
  }

  /** The best run that did not diverge, when the sweep is done. */
  private best() {
    const first = this.result?.runs[this.result.ranking[0]];
    return first && !first.diverged ? first : null;
  }

  private draw(): void {
    if (this.status === 'running' && this.progress) this.liveDraws++;
    const histories = this.result ? this.result.runs.map((r) => r.history) : this.progress?.histories;
    if (histories) this.chart.update(histories);
    this.renderProgress();
  }

  private renderProgress(): void {
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1);
    const r = this.result;
    let line: string;
    if (r) {
      const best = this.best();
      const where = r.backend === 'gpu' ? `GPU: ${r.device}, ${r.sideBySide} side by side` : r.device;
      line = `${r.runs.length} runs in ${r.wallSeconds.toFixed(1)} s (${where}); best: ${best ? `${best.run.label}, test loss ${loss(best.test.loss)}` : 'none (every run diverged)'}`;
    } else {
      const p = this.progress;
      const share = p && p.epochsTotal > 0 ? ` (${Math.round((100 * p.epochsDone) / p.epochsTotal)}%)` : '';
      const what = this.status === 'stopped' ? 'stopped at' : this.status === 'error' ? 'failed at' : 'training:';
      line = `${what} ${p?.epochsDone ?? 0} of ${p?.epochsTotal ?? '…'} run-epochs${share}, ${seconds} s`;
    }
    $('sweep-progress').textContent = [line, ...this.notes].join(' · ');
  }

  private renderLegend(groups: readonly string[]): void {
    $('sweep-legend').replaceChildren(...legendItems(groups));
  }

  private renderTables(): void {
    const r = this.result;
    const groups = $<HTMLTableElement>('sweep-groups');
    const runs = $<HTMLTableElement>('sweep-runs');
    if (!r) {
      groups.replaceChildren();
      runs.replaceChildren();
      return;
    }
    groups.replaceChildren(
      cells('th', ['group (mean ± std over seeds)', 'runs', 'test loss', 'test accuracy', 'train loss', 'train accuracy']),
      ...r.summaries.map((s) =>
        cells('td', [s.group, s.diverged > 0 ? `${s.runs.length} (${s.diverged} diverged)` : String(s.runs.length), spread(s.testLoss, loss), spread(s.testAccuracy, pct), spread(s.trainLoss, loss), spread(s.trainAccuracy, pct)]),
      ),
    );
    runs.replaceChildren(
      cells('th', ['rank', 'run', 'test loss', 'test accuracy', 'train loss', 'train accuracy', 'status']),
      ...r.ranking.map((index, rank) => {
        const run = r.runs[index];
        const status = run.diverged ? (run.divergedAt !== null ? `diverged at epoch ${run.divergedAt}` : 'diverged') : 'ok';
        const tr = cells('td', [String(rank + 1), run.run.label, loss(run.test.loss), pct(run.test.accuracy), loss(run.train.loss), pct(run.train.accuracy), status]);
        tr.dataset.run = String(index);
        if (run.diverged) tr.className = 'diverged';
        return tr;
      }),
    );
  }

  private renderButtons(): void {
    const running = this.status === 'running';
    $<HTMLButtonElement>('sweep-start').disabled = running;
    $<HTMLButtonElement>('sweep-stop').disabled = !running;
    $<HTMLButtonElement>('sweep-download').disabled = running || this.best() === null;
  }

  private setError(message: string | null): void {
    this.error = message;
    const el = $('sweep-error');
    el.hidden = message === null;
    el.textContent = message ?? '';
  }

  /** Numbers for the end-to-end tests (window.__wgtrain.state().sweep). */
  state(): Record<string, unknown> {
    const r = this.result;
    return {
      status: this.status,
      error: this.error,
      progress: this.progress ? { epochsDone: this.progress.epochsDone, epochsTotal: this.progress.epochsTotal } : null,
      chart: { runs: this.chart.runs, points: this.chart.points, seriesPoints: this.chart.seriesPoints, liveDraws: this.liveDraws },
      notes: [...this.notes],
      result: r
        ? {
            backend: r.backend,
            device: r.device,
            sideBySide: r.sideBySide,
            wallSeconds: r.wallSeconds,
            ranking: r.ranking,
            runs: r.runs.map((x) => ({ index: x.run.index, label: x.run.label, group: x.run.group, lr: x.run.config.optimizer.lr, seed: x.run.config.seed, epochs: x.history.length, trainLoss: x.train.loss, trainAccuracy: x.train.accuracy, testLoss: x.test.loss, testAccuracy: x.test.accuracy, diverged: x.diverged, divergedAt: x.divergedAt })),
            summaries: r.summaries.map((s) => ({ group: s.group, runs: s.runs, diverged: s.diverged, testLoss: s.testLoss })),
          }
        : null,
    };
  }
}
