// The published library in a web developer's page: a project that depends on `wgtrain` (a link to this
// package, with dist/ freshly built) imports it by name, Vite bundles it for the browser (taking the
// package's `browser` entry, so no Node module and no Dawn is bundled), and the page, in headless Chromium
// with WebGPU on SwiftShader, trains the assignment with runTraining on the GPU and on the CPU reference:
// the same history within the GPU's tolerance.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose } from '../numeric.ts';
import { ROOT, launch, serveStatic, type Browser, type StaticServer } from './harness.ts';

const EPOCHS = 200;

const PAGE = `<!doctype html>
<html><body><script type="module" src="./main.js"></script></body></html>
`;

// The page: what a web developer writes with the README's library example. A namespace import keeps
// every export in the bundle, so the bundle is the whole entry the bundler resolved.
const MAIN = `import * as wgtrain from 'wgtrain';

const { acquireBrowserGpu, DEFAULT_TRAIN_CONFIG, loadData, runTraining, VERSION } = wgtrain;

const split = loadData({ data: 'rings5' });
const config = { ...DEFAULT_TRAIN_CONFIG, epochs: ${EPOCHS} };
const summary = (r) => ({ backend: r.backend, device: r.device, loss: r.history.map((e) => e.trainLoss), accuracy: r.history.map((e) => e.trainAccuracy), test: r.test.accuracy });
try {
  const gpu = await runTraining(split, { ...config, backend: 'gpu' }, { acquireGpu: acquireBrowserGpu });
  const cpu = await runTraining(split, { ...config, backend: 'cpu-reference' });
  window.__result = { version: VERSION, exports: Object.keys(wgtrain), gpu: summary(gpu), cpu: summary(cpu) };
} catch (error) {
  window.__result = { error: String(error && error.stack || error) };
}
`;

interface RunSummary {
  backend: string;
  device: string;
  loss: number[];
  accuracy: number[];
  test: number;
}

let project: string;
let buildLog: string;
let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  // dist/ as `npm install` makes it (the package's prepare script).
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'vite.node.config.ts', '--logLevel', 'error'], { cwd: ROOT, stdio: 'pipe' });
  project = mkdtempSync(path.join(tmpdir(), 'wgtrain-webapp-'));
  mkdirSync(path.join(project, 'node_modules'));
  symlinkSync(ROOT, path.join(project, 'node_modules', 'wgtrain'), 'dir');
  writeFileSync(path.join(project, 'index.html'), PAGE);
  writeFileSync(path.join(project, 'main.js'), MAIN);
  const build = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', 'site'], { cwd: project, encoding: 'utf8' });
  buildLog = `${build.stdout}\n${build.stderr}`;
  if (build.status !== 0) throw new Error(`vite build of the page failed:\n${buildLog}`);
  server = await serveStatic(path.join(project, 'site'));
  browser = await launch(true);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

describe("the library in a web developer's page (import from 'wgtrain', bundled by Vite)", () => {
  it('bundles the browser entry: no Node built-in and no Dawn', () => {
    expect(buildLog).not.toMatch(/externalized for browser compatibility/);
    const assets = path.join(project, 'site', 'assets');
    const code = readdirSync(assets).filter((f) => f.endsWith('.js')).map((f) => readFileSync(path.join(assets, f), 'utf8')).join('\n');
    expect(code).toContain('fusedTrainWorkgroup'); // the WGSL came along
    expect(code).not.toMatch(/dawn\.node|from ["']node:/);
  });

  it(`trains the assignment for ${EPOCHS} epochs on WebGPU, and its history matches the CPU reference's`, async () => {
    const { page, errors } = browser;
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined, null, { timeout: 90_000, polling: 100 });
    const result = (await page.evaluate(() => (window as unknown as { __result: unknown }).__result)) as { error?: string; version: string; exports: string[]; gpu: RunSummary; cpu: RunSummary };
    expect(result.error).toBeUndefined();
    expect(result.exports).toEqual(expect.arrayContaining(['runTraining', 'runSweep', 'acquireBrowserGpu', 'CpuTrainer', 'serializeModel']));
    expect(result.exports).not.toContain('acquireNodeGpu');
    expect(result.version).toBe(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    expect(result.gpu.backend).toBe('gpu');
    expect(result.gpu.device).toMatch(/swiftshader/i);
    expect(result.cpu.backend).toBe('cpu');
    expect(result.gpu.loss).toHaveLength(EPOCHS);
    // float32 sums in another order than the reference's: the GPU tests' per-epoch tolerance.
    expectClose('train loss per epoch (GPU in the page vs CPU reference)', result.gpu.loss, result.cpu.loss, 0, 1e-5);
    expect(result.gpu.accuracy).toEqual(result.cpu.accuracy);
    expect(result.gpu.test).toBe(result.cpu.test);
    expect(errors.filter((e) => !/favicon|404/.test(e))).toEqual([]);
  });
});
