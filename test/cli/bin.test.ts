// The built `wgtrain` executable (dist/wgtrain.js, what `npx wgtrain` and `npm start` run) in a child
// process: GPU training on the software adapter, devices, and a clean one-line error.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'dist/wgtrain.js');
let dir: string;

function wgtrain(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  execFileSync('npx', ['vite', 'build', '--config', 'vite.node.config.ts'], { cwd: root, stdio: 'pipe' });
  dir = mkdtempSync(path.join(tmpdir(), 'wgtrain-bin-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dist/wgtrain.js', () => {
  it('trains on the GPU (SwiftShader), records the adapter, and eval on the GPU agrees', () => {
    const r = wgtrain('train', '--backend', 'gpu', '--adapter', 'swiftshader', '--epochs', '100', '--out', 'gpu-run');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/backend gpu: SwiftShader/);
    expect(r.out).toContain('101 parameters');
    const metrics = JSON.parse(readFileSync(path.join(dir, 'gpu-run/metrics.json'), 'utf8'));
    expect(metrics.backend).toBe('gpu');
    expect(metrics.device).toMatch(/SwiftShader/);
    const ev = wgtrain('eval', '--model', 'gpu-run/model.json', '--data', 'rings5', '--backend', 'gpu', '--adapter', 'swiftshader', '--json');
    expect(ev.code, ev.err).toBe(0);
    const [train, test] = JSON.parse(ev.out);
    expect(train.accuracy).toBe(metrics.train.accuracy);
    expect(test.accuracy).toBe(metrics.test.accuracy);
  });

  it('--path fused and --path general agree; fused refuses a model that does not fit one workgroup', () => {
    const runs = ['fused', 'general'].map((gpuPath) => {
      const r = wgtrain('train', '--backend', 'gpu', '--adapter', 'swiftshader', '--path', gpuPath, '--epochs', '50', '--out', `path-${gpuPath}`, '--quiet');
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain(`${gpuPath} path`);
      return JSON.parse(readFileSync(path.join(dir, `path-${gpuPath}/metrics.json`), 'utf8'));
    });
    expect(runs[0].test.accuracy).toBe(runs[1].test.accuracy);
    expect(runs[0].train.loss).toBeCloseTo(runs[1].train.loss, 5);
    const big = wgtrain('train', '--backend', 'gpu', '--adapter', 'swiftshader', '--path', 'fused', '--layers', '2,512,512,5', '--epochs', '1');
    expect(big.code).toBe(1);
    expect(big.err).toMatch(/wgtrain: error: .*maxComputeWorkgroupStorageSize/);
  });

  it('--backend auto says which backend it chose', () => {
    const r = wgtrain('train', '--epochs', '5', '--out', 'auto-run', '--quiet');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/backend auto chose (gpu: \S+|cpu: .+)/);
  });

  it('devices lists SwiftShader', () => {
    const r = wgtrain('devices', '--json');
    expect(r.code, r.err).toBe(0);
    const reports = JSON.parse(r.out);
    expect(reports.find((d: { choice: string }) => d.choice === 'swiftshader')).toMatchObject({ found: true, software: true });
  });

  it('bad input: one line on stderr, exit 1', () => {
    const r = wgtrain('train', '--data', 'missing.csv');
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n').filter((l) => l.startsWith('wgtrain:'))).toEqual(['wgtrain: error: missing.csv: no such file']);
  });
});
