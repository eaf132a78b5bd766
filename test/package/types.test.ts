// The published type declarations (dist/types, built by `npm run build:types`, which `npm install` runs):
// a TypeScript project that depends on wgtrain type-checks its use of both entries with plain NodeNext
// settings and skipLibCheck off, and the types are real (a misuse is an error, not `any`).

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');
let project: string;

const NODE_USE = `import { acquireNodeGpu, DEFAULT_TRAIN_CONFIG, loadData, runTraining, serializeModel, type TrainingResult } from 'wgtrain';

const result: TrainingResult = await runTraining(loadData({ data: 'rings5' }), { ...DEFAULT_TRAIN_CONFIG, epochs: 10 }, { acquireGpu: () => acquireNodeGpu('swiftshader') });
const device: string = result.device;
console.log(device, result.test.accuracy.toFixed(3), typeof serializeModel);
// @ts-expect-error epochs is a number
await runTraining(loadData({ data: 'rings5' }), { ...DEFAULT_TRAIN_CONFIG, epochs: 'ten' });
`;

const BROWSER_USE = `import { acquireBrowserGpu, GpuContext, runSweep, DEFAULT_TRAIN_CONFIG, makeSyntheticSplit, type SweepResult } from 'wgtrain/browser';

const context: GpuContext = await acquireBrowserGpu();
const device: GPUDevice = context.device;
const sweep: SweepResult = await runSweep(makeSyntheticSplit('rings5', { seed: 1 }), DEFAULT_TRAIN_CONFIG, { lrs: [0.1], seeds: [1], hidden: [[12]], activations: ['softplus'], optimizers: ['gd'], batchSizes: [0], epochs: [10] }, { acquireGpu: async () => context.borrow() });
console.log(device.label, sweep.ranking);
// @ts-expect-error the Node adapter search is not in the browser entry
import { acquireNodeGpu } from 'wgtrain/browser';
console.log(acquireNodeGpu);
`;

beforeAll(() => {
  execFileSync(process.execPath, [TSC, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
  project = mkdtempSync(path.join(tmpdir(), 'wgtrain-types-'));
  mkdirSync(path.join(project, 'node_modules'));
  symlinkSync(ROOT, path.join(project, 'node_modules', 'wgtrain'), 'dir');
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(path.join(project, 'node.ts'), NODE_USE);
  writeFileSync(path.join(project, 'browser.ts'), BROWSER_USE);
  const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: [], lib: ['ES2022', 'DOM'] };
  writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['node.ts', 'browser.ts'] }));
}, 120_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('the published types', () => {
  it('type-check a dependant project (NodeNext, strict, skipLibCheck off), both entries', () => {
    const r = spawnSync(process.execPath, [TSC, '-p', '.'], { cwd: project, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
