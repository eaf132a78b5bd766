// The page's sweep end to end, in headless Chromium with WebGPU on SwiftShader, on the built site: a grid of
// 3 learning rates (one absurd, 1e30, that diverges) x 2 seeds x 200 epochs on rings5 trains side by side
// on the GPU with live curves of every run; the table ranks the runs by test loss with the diverged ones
// marked and last; the best run's model.json parses and `wgtrain eval` gives it the accuracy the table
// shows. Bad input shows runSweep's own message (validateGrid's InputError) in the page.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModel } from '../../src/model/modelFile.ts';
import { validateGrid, type SweepGrid } from '../../src/train/sweep.ts';
import { ARTIFACTS, CHROMIUM, SITE, appInBrowser, appState, cli, ensureSiteBuilt, serveStatic, setField, type StaticServer } from './harness.ts';

const EPOCHS = 200;
const LRS = ['0.05', '0.3', '1e30'];
const SEEDS = 2;

interface RunState {
  index: number;
  label: string;
  group: string;
  lr: number;
  seed: number;
  epochs: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  diverged: boolean;
  divergedAt: number | null;
}

/** window.__wgtrain.state().sweep, as the test reads it. */
interface SweepState {
  status: string;
  error: string | null;
  progress: { epochsDone: number; epochsTotal: number } | null;
  chart: { runs: number; points: number; seriesPoints: number[]; liveDraws: number };
  notes: string[];
  result: {
    backend: string;
    device: string;
    sideBySide: number;
    ranking: number[];
    runs: RunState[];
    summaries: { group: string; runs: number[]; diverged: number; testLoss: { mean: number; std: number } }[];
  } | null;
}

const sweepState = async (page: Page) => (await appState<{ sweep: SweepState }>(page)).sweep;

async function runSweepIn(page: Page, fields: { lrs: string; seeds: string; epochs: string; hidden: string }): Promise<SweepState> {
  await setField(page, '[data-testid=sweep-lrs]', fields.lrs);
  await setField(page, '[data-testid=sweep-seeds]', fields.seeds);
  await setField(page, '[data-testid=sweep-epochs]', fields.epochs);
  await setField(page, '[data-testid=sweep-hidden]', fields.hidden);
  await page.click('[data-testid=sweep-start]');
  return sweepState(page);
}

/** The message runSweep gives for `grid` (validateGrid's InputError). */
function gridMessage(grid: Partial<SweepGrid>): string {
  const full: SweepGrid = { lrs: [0.1], seeds: [1, 2], hidden: [[12]], activations: ['softplus'], optimizers: ['gd'], batchSizes: [0], epochs: [EPOCHS], ...grid };
  try {
    validateGrid(full);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(grid)} is a valid grid`);
}

let server: StaticServer;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (.ci/run does)`);
  const build = ensureSiteBuilt();
  if (build.built) console.log(`built dist-web/ in ${(build.ms / 1000).toFixed(1)} s`);
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await serveStatic(SITE);
}, 120_000);

afterAll(async () => server?.close());

const waitForSweep = (page: Page, timeout: number) =>
  page.waitForFunction(() => (window.__wgtrain!.state().sweep as SweepState).status !== 'running', null, { timeout, polling: 50 });

describe('the sweep on WebGPU (SwiftShader)', () => {
  const app = appInBrowser(true, () => server.url);

  it(`trains ${LRS.length} learning rates x ${SEEDS} seeds x ${EPOCHS} epochs side by side, live, ranked, diverged runs last`, async () => {
    const { page, errors } = app.browser;
    const started = performance.now();
    await runSweepIn(page, { lrs: LRS.join(', '), seeds: String(SEEDS), epochs: String(EPOCHS), hidden: '12' });
    await waitForSweep(page, 120_000);
    const s = await sweepState(page);
    console.log(`sweep of ${LRS.length * SEEDS} runs x ${EPOCHS} epochs: ${((performance.now() - started) / 1000).toFixed(1)} s in the page; ${s.notes.join('; ')}`);
    expect(s.status, `${s.error}`).toBe('done');
    const r = s.result!;
    expect(r.backend).toBe('gpu');
    expect(r.device).toMatch(/swiftshader/i);
    expect(r.sideBySide).toBe(6);
    expect(s.progress).toEqual({ epochsDone: 6 * EPOCHS, epochsTotal: 6 * EPOCHS });

    // The chart: 6 runs, a train and a test series each, one point per epoch; the diverged runs' curves
    // stop where their loss stopped being finite.
    expect(s.chart.runs).toBe(6);
    expect(s.chart.liveDraws, 'curves drawn while the sweep ran').toBeGreaterThanOrEqual(1);
    expect(s.chart.points).toBe(EPOCHS);
    expect(s.chart.seriesPoints).toHaveLength(12);
    for (const run of r.runs) {
      const [train, test] = s.chart.seriesPoints.slice(2 * run.index, 2 * run.index + 2);
      if (run.diverged) {
        expect(train, run.label).toBeLessThan(EPOCHS);
        expect(train, run.label).toBeGreaterThanOrEqual(1);
      } else {
        expect([train, test], run.label).toEqual([EPOCHS, EPOCHS]);
      }
    }
    const paths = await page.$$eval('[data-testid=sweep-chart] svg path, [data-testid=sweep-chart] canvas', (els) => els.length);
    expect(paths).toBeGreaterThan(0);

    // The ranking: finite runs by test loss, then the two lr 1e30 runs, marked.
    const diverged = r.runs.filter((x) => x.diverged);
    expect(diverged.map((x) => x.lr)).toEqual([1e30, 1e30]);
    expect(r.ranking.slice(-2).sort()).toEqual(diverged.map((x) => x.index).sort());
    const finite = r.ranking.slice(0, 4).map((i) => r.runs[i].testLoss);
    expect(finite).toEqual([...finite].sort((a, b) => a - b));
    const rows = await page.$$eval('[data-testid=sweep-runs] tr[data-run]', (trs) => trs.map((tr) => ({ run: Number((tr as HTMLElement).dataset.run), cells: Array.from(tr.children).map((c) => c.textContent ?? '') })));
    expect(rows).toHaveLength(6);
    expect(rows.map((row) => row.run)).toEqual(r.ranking);
    for (const [rank, row] of rows.entries()) {
      const run = r.runs[row.run];
      expect(row.cells[0]).toBe(String(rank + 1));
      expect(row.cells[1]).toBe(run.label);
      if (run.diverged) {
        expect(run.divergedAt).toBeGreaterThanOrEqual(1);
        expect(row.cells[6]).toBe(`diverged at epoch ${run.divergedAt}`);
      } else {
        expect(row.cells.slice(2)).toEqual([run.testLoss.toFixed(4), `${(100 * run.testAccuracy).toFixed(1)}%`, run.trainLoss.toFixed(4), `${(100 * run.trainAccuracy).toFixed(1)}%`, 'ok']);
      }
    }
    // The groups: mean ± std over the 2 seeds, the diverged group last.
    const groups = await page.$$eval('[data-testid=sweep-groups] tr', (trs) => trs.slice(1).map((tr) => Array.from(tr.children).map((c) => c.textContent ?? '')));
    expect(groups.map((g) => g[0])).toEqual(r.summaries.map((g) => g.group));
    expect(groups[2][1]).toBe('2 (2 diverged)');
    const top = r.summaries[0];
    expect(groups[0][2]).toBe(`${top.testLoss.mean.toFixed(4)} ± ${top.testLoss.std.toFixed(4)}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'sweep-gpu.png'), fullPage: true });

    // The best run's model.json: the page's model format, and the accuracy its table row shows.
    const best = r.runs[r.ranking[0]];
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=sweep-download]')]);
    expect(download.suggestedFilename()).toBe('model.json');
    const file = path.join(ARTIFACTS, 'sweep-best-model.json');
    await download.saveAs(file);
    const model = parseModel(readFileSync(file, 'utf8'), file);
    expect(model.params.spec.layers).toEqual([2, 12, 5]);
    expect(model.training).toMatchObject({ data: 'rings5', epochs: EPOCHS, seed: best.seed, optimizer: { kind: 'gd', lr: best.lr }, backend: 'gpu' });
    const evaluated = await cli('eval', '--model', file, '--data', 'rings5', '--json');
    expect(evaluated.code, evaluated.err).toBe(0);
    const [train, test] = JSON.parse(evaluated.out) as { accuracy: number; loss: number }[];
    expect(test.accuracy).toBe(best.testAccuracy);
    expect(train.accuracy).toBe(best.trainAccuracy);
    expect(rows[0].cells[3]).toBe(`${(100 * test.accuracy).toFixed(1)}%`);
    // The CPU evaluates the GPU's parameters: float32 sums in another order, ~1e-6 relative.
    expect(Math.abs(test.loss - best.testLoss)).toBeLessThan(1e-4);
    expect(errors).toEqual([]);
  }, 180_000);

  it('a second sweep and a training run borrow the page\'s one device (its pipelines compiled once)', async () => {
    const { page, errors } = app.browser;
    await runSweepIn(page, { lrs: '0.1, 0.2', seeds: '1', epochs: '20', hidden: '12' });
    await waitForSweep(page, 60_000);
    const s = await sweepState(page);
    expect(s.status, `${s.error}`).toBe('done');
    expect(s.result).toMatchObject({ backend: 'gpu', sideBySide: 2 });
    await page.click('[data-testid=start]');
    await page.waitForFunction(() => (window.__wgtrain!.state().epochsDone as number) > 0, null, { timeout: 60_000, polling: 50 });
    const state = await appState<{ backend: string; gpuDevicesOpened: number }>(page);
    expect(state.backend).toBe('gpu');
    // The probe's device, kept: the two sweeps and the session borrowed it.
    expect(state.gpuDevicesOpened).toBe(1);
    expect(errors).toEqual([]);
  });

  it.each([
    ['0.1, abc', { lrs: [0.1, NaN] }],
    ['', { lrs: [] }],
    ['0.1, 0.1', { lrs: [0.1, 0.1] }],
  ])('learning rates "%s": the page shows runSweep\'s own message', async (lrs, grid) => {
    const { page, errors } = app.browser;
    const expected = gridMessage(grid);
    const before = await sweepState(page);
    const s = await runSweepIn(page, { lrs, seeds: String(SEEDS), epochs: String(EPOCHS), hidden: '12' });
    expect(s.error).toBe(expected);
    expect(s.status).toBe(before.status); // nothing started
    expect(await page.textContent('[data-testid=sweep-error]')).toBe(expected);
    expect(await page.isVisible('[data-testid=sweep-error]')).toBe(true);
    expect(errors).toEqual([]);
  });
});

describe('the sweep without WebGPU', () => {
  const app = appInBrowser(false, () => server.url);

  it('trains on the CPU reference, one run after another, and says so', async () => {
    const { page, errors } = app.browser;
    await runSweepIn(page, { lrs: '0.1, 0.3', seeds: '2', epochs: '100', hidden: '12' });
    await waitForSweep(page, 60_000);
    const s = await sweepState(page);
    expect(s.status, `${s.error}`).toBe('done');
    expect(s.result).toMatchObject({ backend: 'cpu', sideBySide: 0 });
    expect(s.notes).toEqual(['backend cpu: every run trains on the CPU, one after another']);
    expect(s.chart).toMatchObject({ runs: 4, points: 100, seriesPoints: Array(8).fill(100) });
    expect(await page.$$eval('[data-testid=sweep-runs] tr[data-run]', (trs) => trs.length)).toBe(4);
    expect(errors).toEqual([]);
  });

  it('a repeated hidden size: the same message, then a good grid clears it', async () => {
    const { page, errors } = app.browser;
    const s = await runSweepIn(page, { lrs: '0.1', seeds: '1', epochs: '20', hidden: '8, 8' });
    expect(s.error).toBe(gridMessage({ hidden: [[8], [8]] }));
    await runSweepIn(page, { lrs: '0.1', seeds: '1', epochs: '20', hidden: '8, 4x4' });
    await waitForSweep(page, 60_000);
    const done = await sweepState(page);
    expect(done.error).toBeNull();
    expect(await page.isVisible('[data-testid=sweep-error]')).toBe(false);
    expect(done.result!.runs.map((x) => x.label)).toEqual(['hidden 8', 'hidden 4x4']);
    expect(done.chart.points).toBe(20);
  });

  it('stays responsive on the CPU: Stop ends a long sweep at its next chunk', async () => {
    const { page, errors } = app.browser;
    await page.evaluate(() => {
      document.addEventListener('click', (e) => ((window as unknown as { inputDelayMs: number }).inputDelayMs = performance.now() - e.timeStamp), { capture: true, once: true });
    });
    await runSweepIn(page, { lrs: '0.1, 0.2', seeds: '5', epochs: '100000', hidden: '12' });
    await page.waitForFunction(() => ((window.__wgtrain!.state().sweep as SweepState).progress?.epochsDone ?? 0) > 200, null, { polling: 10 });
    await page.click('[data-testid=sweep-stop]');
    await waitForSweep(page, 5_000);
    const s = await sweepState(page);
    const inputDelayMs = await page.evaluate(() => (window as unknown as { inputDelayMs: number }).inputDelayMs);
    expect(s.status).toBe('stopped');
    expect(s.result).toBeNull();
    expect(s.error).toBeNull();
    // A CPU chunk aims at 40 ms (TIMING.chunkTargetMs.cpu); the click waits for at most about one.
    expect(inputDelayMs).toBeLessThan(250);
    expect(s.progress!.epochsDone).toBeLessThan(s.progress!.epochsTotal);
    expect(await page.isEnabled('[data-testid=sweep-start]')).toBe(true);
  });
});
