// The browser app end to end, in headless Chromium on the BUILT site (dist-web/, rebuilt when stale):
// with WebGPU on SwiftShader it trains the assignment model on the GPU; without WebGPU it says so and
// trains on the CPU. Both check the live views through window.__wgtrain.state() and the DOM, and that
// model.json goes both ways between the page and the CLI with the same accuracy. Screenshots and the
// downloaded models are kept in test-artifacts/browser/.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSyntheticSplit } from '../../src/data/synthetic.ts';
import { toCsv } from '../../src/data/csv.ts';
import { ARTIFACTS, CHROMIUM, SITE, appInBrowser, appState, cli, ensureSiteBuilt, serveStatic, setField, waitForStatus as waitForAppStatus, type StaticServer } from './harness.ts';

/** The assignment: 2-12-5 softplus, steepest descent (full batch) at lr 0.1, 1000 epochs, on rings5. */
const EPOCHS = 1000;

interface EvaluationState {
  size: number;
  loss: number;
  accuracy: number;
  confusion: number[][];
}

/** The subset of window.__wgtrain.state() the tests read. */
interface AppState {
  status: string;
  webgpu: { available: boolean; adapterName?: string; reason?: string } | null;
  backend: 'gpu' | 'cpu' | null;
  adapterName: string | null;
  deviceName: string | null;
  layers: number[] | null;
  activation: string | null;
  data: { name: string; trainSize: number; testSize: number; inputs: number; classes: number } | null;
  epochsDone: number;
  historyLength: number;
  firstRecord: { epoch: number; trainLoss: number; testLoss: number } | null;
  lastRecord: { epoch: number; trainLoss: number; testLoss: number; trainAccuracy: number; testAccuracy: number } | null;
  chartPoints: number;
  train: EvaluationState | null;
  test: EvaluationState | null;
  viewRefreshes: number;
  maxFrameGapMs: number;
  notices: { message: string; kind: string }[];
  dataError: string | null;
}

const state = (page: Page) => appState<AppState>(page);
const waitForStatus = (page: Page, statuses: string[], timeout: number) => waitForAppStatus<AppState>(page, statuses, timeout);

/** What the boundary canvas shows: distinct colours (quantised) and the share of the most common one. */
async function boundaryPixels(page: Page): Promise<{ width: number; distinct: number; topShare: number }> {
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid=boundary]')!;
    const ctx = canvas.getContext('2d')!;
    // The middle of the plot: the rings, the blobs' corners left out.
    const x = Math.round(canvas.width * 0.2);
    const y = Math.round(canvas.height * 0.2);
    const w = Math.round(canvas.width * 0.6);
    const h = Math.round(canvas.height * 0.6);
    const data = ctx.getImageData(x, y, w, h).data;
    const counts = new Map<number, number>();
    for (let i = 0; i < data.length; i += 4) {
      const key = ((data[i] >> 4) << 8) | ((data[i + 1] >> 4) << 4) | (data[i + 2] >> 4);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const top = Math.max(...counts.values());
    return { width: canvas.width, distinct: counts.size, topShare: top / (w * h) };
  });
}

const sum = (m: number[][]) => m.flat().reduce((a, b) => a + b, 0);

/** The checks every trained page must pass, on either backend. */
async function expectTrainedViews(page: Page, s: AppState): Promise<void> {
  expect(s.status).toBe('done');
  expect(s.layers).toEqual([2, 12, 5]);
  expect(s.activation).toBe('softplus');
  expect(s.epochsDone).toBe(EPOCHS);
  expect(s.historyLength).toBe(EPOCHS);
  // The curves: uPlot holds every epoch (1000 is under the page's 4000-point stride limit).
  expect(s.chartPoints).toBe(EPOCHS);
  const series = await page.evaluate(() => document.querySelectorAll('[data-testid=loss-chart] .u-series').length);
  expect(series).toBe(3);
  // The loss fell: from about 2.8 at the first epoch to about 0.19 after 1000.
  expect(s.lastRecord!.trainLoss).toBeLessThan(0.5 * s.firstRecord!.trainLoss);
  expect(s.lastRecord!.trainLoss).toBeLessThan(0.4);
  expect(s.test!.accuracy).toBeGreaterThan(0.85);
  // The boundary and the matrices were computed at the start and again at the end. (They also refresh while
  // training, at most every max(250 ms, 4x their own cost); the fused path now trains these 1000 epochs in
  // well under a second, so a refresh in between depends on the machine's speed and is not asserted.)
  expect(s.viewRefreshes).toBeGreaterThanOrEqual(2);
  const pixels = await boundaryPixels(page);
  expect(pixels.width).toBeGreaterThan(0);
  expect(pixels.distinct, 'boundary canvas is blank').toBeGreaterThan(20);
  expect(pixels.topShare, 'boundary canvas is one colour').toBeLessThan(0.6);
  // The confusion matrix: the test set, all of it; the SVG shows 5 x 5 cells whose counts add up too.
  expect(s.test!.size).toBe(s.data!.testSize);
  expect(sum(s.test!.confusion)).toBe(s.data!.testSize);
  expect(sum(s.train!.confusion)).toBe(s.data!.trainSize);
  const cells = await page.$$eval('[data-testid=matrix] text.count', (els) => els.map((e) => Number(e.textContent)));
  expect(cells).toHaveLength(25);
  expect(sum([cells])).toBe(s.data!.testSize);
  // Shown accuracy = the state's.
  await expect.poll(() => page.textContent('[data-testid=stat-test-acc]')).toBe(`${(100 * s.test!.accuracy).toFixed(1)}%`);
}

/** Downloads model.json from the page and evaluates it with the CLI: same accuracy, same loss to float32 precision. */
async function expectDownloadMatchesCli(page: Page, s: AppState, name: string): Promise<Record<string, unknown>> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download]')]);
  expect(download.suggestedFilename()).toBe('model.json');
  const file = path.join(ARTIFACTS, name);
  await download.saveAs(file);
  const r = await cli('eval', '--model', file, '--data', 'rings5', '--json');
  expect(r.code, r.err).toBe(0);
  const [train, test] = JSON.parse(r.out) as { data: string; size: number; accuracy: number; loss: number; confusion: number[][] }[];
  expect(train.data).toBe('rings5');
  expect(test.data).toBe('rings5 (test)');
  expect(test.size).toBe(s.test!.size);
  expect(test.accuracy).toBe(s.test!.accuracy);
  expect(train.accuracy).toBe(s.train!.accuracy);
  expect(test.confusion).toEqual(s.test!.confusion);
  // Float32 sums in another order (CPU vs GPU): agree to ~1e-6 relative; 1e-4 leaves room.
  expect(Math.abs(test.loss - s.test!.loss)).toBeLessThan(1e-4);
  const model = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  expect(model.format).toBe('wgtrain-model');
  expect(model.layers).toEqual([2, 12, 5]);
  return model;
}

/** A model trained by `wgtrain train` opens in the page with the accuracy `wgtrain eval` gives it. */
async function expectCliModelOpens(page: Page, dir: string, backend: 'gpu' | 'cpu'): Promise<void> {
  const out = path.join(dir, `cli-run-${backend}`);
  const trained = await cli('train', '--backend', 'cpu', '--epochs', '300', '--seed', '7', '--quiet', '--out', out);
  expect(trained.code, trained.err).toBe(0);
  const modelFile = path.join(out, 'model.json');
  const evaluated = await cli('eval', '--model', modelFile, '--data', 'rings5', '--json');
  expect(evaluated.code, evaluated.err).toBe(0);
  const [train, test] = JSON.parse(evaluated.out) as { accuracy: number; loss: number; confusion: number[][] }[];
  await page.setInputFiles('[data-testid=model-input]', modelFile);
  await page.waitForFunction(() => (window.__wgtrain!.state().notices as { message: string; kind: string }[]).some((n) => n.message.startsWith('Loaded model.json') || n.kind === 'error'), null, { timeout: 60_000 });
  const s = await waitForStatus(page, ['ready', 'error'], 60_000);
  expect(s.status, s.notices.map((n) => n.message).join('\n')).toBe('ready');
  expect(s.backend).toBe(backend);
  expect(s.epochsDone).toBe(300);
  expect(s.data).toMatchObject({ name: 'rings5', trainSize: 400, testSize: 100 });
  expect(s.test!.accuracy).toBe(test.accuracy);
  expect(s.train!.accuracy).toBe(train.accuracy);
  expect(s.test!.confusion).toEqual(test.confusion);
  expect(Math.abs(s.test!.loss - test.loss)).toBeLessThan(1e-4);
  await expect.poll(() => page.textContent('[data-testid=stat-test-acc]')).toBe(`${(100 * test.accuracy).toFixed(1)}%`);
}

let server: StaticServer;
let dir: string;

beforeAll(() => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (.ci/run does)`);
  const build = ensureSiteBuilt();
  if (build.built) console.log(`built dist-web/ in ${(build.ms / 1000).toFixed(1)} s`);
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(path.join(tmpdir(), 'wgtrain-browser-'));
}, 120_000);

beforeAll(async () => {
  // Under a sub-path: the built site must not assume it sits at the server's root.
  server = await serveStatic(SITE, '/some/sub/path/');
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the page with WebGPU (SwiftShader)', () => {
  const app = appInBrowser(true, () => server.url);

  it(`trains the assignment model (2-12-5 softplus, GD lr 0.1, full batch, ${EPOCHS} epochs) on the GPU`, async () => {
    const { page, errors } = app.browser;
    const initial = await state(page);
    expect(initial.webgpu, 'WebGPU probe').toMatchObject({ available: true });
    expect(initial.status, initial.notices.map((n) => n.message).join('\n')).toBe('ready');
    // The adapter is a GPU adapter (SwiftShader's Vulkan, the only one here), and the page shows it.
    expect(initial.backend).toBe('gpu');
    expect(initial.adapterName).toMatch(/swiftshader/i);
    expect(await page.textContent('[data-testid=adapter]')).toBe(initial.adapterName);
    expect(await page.textContent('[data-testid=backend]')).toBe('GPU');
    expect(await page.isVisible('[data-testid=adapter-kind]')).toBe(true); // SwiftShader: labelled a software adapter
    expect(initial.notices.filter((n) => n.kind !== 'info')).toEqual([]);

    await setField(page, '[data-testid=epochs]', String(EPOCHS));
    const started = performance.now();
    await page.click('[data-testid=start]');
    const s = await waitForStatus(page, ['done', 'error'], 150_000);
    const seconds = (performance.now() - started) / 1000;
    console.log(`GPU (${s.adapterName}): ${EPOCHS} epochs in ${seconds.toFixed(1)} s, longest frame gap ${s.maxFrameGapMs.toFixed(0)} ms`);
    expect(s.status, s.notices.map((n) => n.message).join('\n')).toBe('done');
    expect(s.backend).toBe('gpu');
    await expectTrainedViews(page, s);
    await page.screenshot({ path: path.join(ARTIFACTS, 'trained-gpu.png'), fullPage: true });
    await expectDownloadMatchesCli(page, s, 'model-gpu.json');
    expect(errors).toEqual([]);
  }, 180_000);

  it('moves a paused run from the GPU to the CPU and on, from the same parameters', async () => {
    const { page, errors } = app.browser;
    await page.click('[data-testid=reset]');
    await waitForStatus(page, ['ready'], 60_000);
    await setField(page, '[data-testid=epochs]', '50');
    await page.click('[data-testid=start]');
    const onGpu = await waitForStatus(page, ['done', 'error'], 60_000);
    expect(onGpu).toMatchObject({ status: 'done', backend: 'gpu', epochsDone: 50 });
    await page.selectOption('[data-testid=backend-select]', 'cpu');
    await page.waitForFunction(() => window.__wgtrain!.state().backend === 'cpu');
    await page.click('[data-testid=step]');
    await page.waitForFunction(() => window.__wgtrain!.state().epochsDone === 51);
    const onCpu = await waitForStatus(page, ['done'], 10_000);
    // The history goes on from epoch 50; the CPU's first epoch starts from the GPU's parameters, so its
    // loss (taken before the update) is the GPU's test-time loss on the training set at epoch 50.
    expect(onCpu.historyLength).toBe(51);
    expect(onCpu.lastRecord!.epoch).toBe(51);
    expect(Math.abs(onCpu.lastRecord!.trainLoss - onGpu.train!.loss)).toBeLessThan(1e-5);
  }, 90_000);

  it('opens a model trained by the CLI and evaluates it on the GPU with the same accuracy', async () => {
    await app.browser.page.selectOption('[data-testid=backend-select]', 'gpu');
    await expectCliModelOpens(app.browser.page, dir, 'gpu');
  }, 90_000);
});

describe('the page without WebGPU', () => {
  const app = appInBrowser(false, () => server.url);

  it('says there is no WebGPU, then trains the assignment model on the CPU and stays responsive', async () => {
    const { page, errors } = app.browser;
    const initial = await state(page);
    const gpu = await page.evaluate(async () => (navigator.gpu ? ((await navigator.gpu.requestAdapter()) === null ? 'no adapter' : 'adapter') : 'no navigator.gpu'));
    expect(gpu).not.toBe('adapter');
    expect(initial.webgpu).toMatchObject({ available: false });
    expect(initial.backend).toBe('cpu');
    expect(await page.textContent('[data-testid=backend]')).toBe('CPU');
    expect(await page.textContent('[data-testid=adapter]')).toBe('CPU (fast float32)');
    const message = await page.textContent('[data-testid=notices] .notice.warn');
    expect(message).toMatch(/^No WebGPU in this browser \(.+\): training runs on the CPU \(fast float32\) instead\./);

    // Responsive while training: in a long run, a click on Pause waits for at most about one chunk before
    // the page handles it (input delay: from the click's time stamp to its handler) and stops training.
    await setField(page, '[data-testid=epochs]', '100000');
    await page.evaluate(() => {
      document.addEventListener('click', (e) => ((window as unknown as { inputDelayMs: number }).inputDelayMs = performance.now() - e.timeStamp), { capture: true, once: true });
    });
    await page.click('[data-testid=start]');
    await page.waitForFunction(() => Number(window.__wgtrain!.state().epochsDone) > 200, null, { polling: 10 });
    // The boundary and the matrices are recomputed as training goes (the first view came at the start).
    await page.waitForFunction(() => window.__wgtrain!.state().status === 'running' && Number(window.__wgtrain!.state().viewRefreshes) >= 3, null, { polling: 10, timeout: 10_000 });
    await page.click('[data-testid=start]'); // now labelled Pause
    const paused = await waitForStatus(page, ['paused'], 5_000);
    const inputDelayMs = await page.evaluate(() => (window as unknown as { inputDelayMs: number }).inputDelayMs);
    expect(inputDelayMs).toBeLessThan(250);
    expect(paused.epochsDone).toBeLessThan(100_000);
    expect(await page.textContent('[data-testid=start]')).toBe('Resume');

    // Then the assignment run from a fresh initialisation.
    await page.click('[data-testid=reset]');
    await waitForStatus(page, ['ready'], 10_000);
    await setField(page, '[data-testid=epochs]', String(EPOCHS));
    await page.click('[data-testid=start]');
    const s = await waitForStatus(page, ['done', 'error'], 120_000);
    console.log(`CPU: Pause click handled after ${inputDelayMs.toFixed(0)} ms at epoch ${paused.epochsDone}; ${EPOCHS} epochs, longest frame gap ${s.maxFrameGapMs.toFixed(0)} ms`);
    expect(s.backend).toBe('cpu');
    await expectTrainedViews(page, s);
    // No frozen UI: animation frames kept coming while training ran (chunks of ~40 ms, views ~15 ms).
    expect(s.maxFrameGapMs).toBeLessThan(500);
    await page.screenshot({ path: path.join(ARTIFACTS, 'trained-cpu-no-webgpu.png'), fullPage: true });
    const model = await expectDownloadMatchesCli(page, s, 'model-cpu.json');
    expect(model.training).toMatchObject({ data: 'rings5', epochs: EPOCHS, backend: 'cpu', batchSize: 0, activation: 'softplus' });
  }, 150_000);

  it('opens a model trained by the CLI with the accuracy the CLI gives it', async () => {
    await expectCliModelOpens(app.browser.page, dir, 'cpu');
  }, 60_000);

  it('shows the CLI\'s error for a bad CSV file, and trains on a good one', async () => {
    const { page, errors } = app.browser;
    const bad = 'x1,x2,label\n0.5,1.5,0\n0.25,oops,1\n';
    const badPath = path.join(dir, 'bad.csv');
    writeFileSync(badPath, bad);
    const r = await cli('train', '--data', badPath, '--epochs', '1', '--quiet', '--out', path.join(dir, 'bad-run'));
    expect(r.code).toBe(1);
    const cliMessage = r.err.trim().replace(/^wgtrain: error: /, '').replaceAll(badPath, 'bad.csv');
    expect(cliMessage).toBe('bad.csv line 3, field 2 (x2): "oops" is not a number');

    await page.setInputFiles('[data-testid=file-input]', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await page.waitForFunction(() => window.__wgtrain!.state().dataError !== null);
    expect(await page.textContent('[data-testid=data-error]')).toBe(cliMessage);
    expect((await state(page)).data!.name).toBe('rings5'); // the page keeps what it had

    const moons = makeSyntheticSplit('moons', { trainSize: 200, testSize: 50 }).train;
    await page.setInputFiles('[data-testid=file-input]', { name: 'moons.csv', mimeType: 'text/csv', buffer: Buffer.from(toCsv(moons)) });
    await page.waitForFunction(() => (window.__wgtrain!.state().data as { name: string } | null)?.name === 'moons.csv');
    const s = await waitForStatus(page, ['ready'], 30_000);
    expect(s.dataError).toBeNull();
    // The CLI's hold-out: 20% of the file is the test set.
    expect(s.data).toMatchObject({ trainSize: 160, testSize: 40, inputs: 2, classes: 2 });
    expect(s.layers).toEqual([2, 12, 2]);
    await setField(page, '[data-testid=epochs]', '200');
    await page.click('[data-testid=start]');
    const done = await waitForStatus(page, ['done'], 60_000);
    expect(sum(done.test!.confusion)).toBe(40);
    // Back to a synthetic set and to the file again; then another hold-out fraction.
    await page.selectOption('[data-testid=data-set]', 'rings5');
    await page.waitForFunction(() => (window.__wgtrain!.state().data as { name: string } | null)?.name === 'rings5');
    await page.selectOption('[data-testid=data-set]', { label: 'file: moons.csv' });
    await page.waitForFunction(() => (window.__wgtrain!.state().data as { name: string } | null)?.name === 'moons.csv');
    await setField(page, '#split', '0.5');
    await page.waitForFunction(() => (window.__wgtrain!.state().data as { testSize: number } | null)?.testSize === 100);
    expect(errors).toEqual([]);
  }, 90_000);
});
