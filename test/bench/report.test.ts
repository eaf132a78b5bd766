// The targets table of the bench reports (bench/report.ts targetChecks), on hand-made results: which rows
// judge each target, and that a missing or disagreeing row makes a target "not measured", never "met".

import { describe, expect, it } from 'vitest';
import type { LrSweepRow } from '../../bench/lrSweep.ts';
import { markdownReport, targetChecks, terminalReport } from '../../bench/report.ts';
import type { BenchResult, Row } from '../../bench/suite.ts';

const row = (system: string, device: string, ms: number, extra: Partial<Row> = {}): Row =>
  ({ suite: 'workloads', workload: 'W1', system, device, software: device !== 'hardware' && device !== 'cpu', status: 'ok', label: system === 'wgtrain-gpu' ? `GPU (WebGPU, ${extra.label ?? 'fused'} path)` : system, msPerEpoch: { median: ms, min: ms, max: ms }, reason: null, finalLoss: 0.18635, checkEpochs: 1000, lossDifference: 0, peakFraction: null, repeats: 1, epochsPerRepeat: 1000, ...extra }) as unknown as Row;

const sweepRow = (device: string, kind: 'sweep' | 'single', seconds: number): LrSweepRow =>
  ({ device, adapter: device, software: device !== 'hardware', kind, path: 'fused', runs: kind === 'sweep' ? 20 : 1, epochs: 1000, wallSeconds: seconds, repeats: 3, status: 'ok', reason: null }) as unknown as LrSweepRow;

function result(rows: Row[], adapters: { choice: string; software: boolean }[], lrSweep: LrSweepRow[] = []): BenchResult {
  return {
    meta: { date: '2026-12-08', command: 'test', adapters: adapters.map((a) => ({ ...a, found: true, name: a.choice })), wallSeconds: 1, node: 'v20', platform: 'linux', gpuSettings: '', gpuPathsSupported: true, tfjsVersion: null },
    systems: adapters.map((a) => ({ system: 'wgtrain-gpu', device: a.choice, adapter: a.choice, started: true, reason: null })),
    rows,
    kernels: [],
    overhead: [],
    lrSweep: lrSweep.length > 0 ? { config: { lrs: [0.1], seeds: [1], epochs: 1000, trainSize: 400, testSize: 100 }, rows: lrSweep } : null,
  } as unknown as BenchResult;
}

describe('targetChecks', () => {
  it('judges a GPU run: 200x TF.js webgpu, within 2x of the CPU reference, faster than it on real hardware, the sweep against one run', () => {
    const r = result(
      [row('wgtrain-cpu', 'cpu', 0.4), row('wgtrain-gpu', 'hardware', 0.05), row('wgtrain-gpu', 'hardware', 0.3, { label: 'general' }), row('tfjs-webgpu', 'hardware', 12)],
      [{ choice: 'hardware', software: false }],
      [sweepRow('hardware', 'sweep', 0.06), sweepRow('hardware', 'single', 0.05)],
    );
    expect(targetChecks(r).map((c) => [c.target.split(':')[0], c.device, c.verdict])).toEqual([
      ['W1', '@hardware', 'met'], // 12 / 0.05 = 240x, the fused row
      ['W1', '@hardware', 'met'], // 0.125x the CPU's time
      ['W1 on a real GPU', '@hardware', 'met'],
      ['lr-sweep', '@hardware', 'met'], // 1.2x one run
    ]);
    expect(targetChecks(r)[0].measured).toBe('240x (12 vs 0.05 ms/epoch (fused))');
  });

  it('on software adapters: no real-GPU verdict, and a slow ratio is "not met"', () => {
    const r = result(
      [row('wgtrain-cpu', 'cpu', 0.4), row('wgtrain-gpu', 'swiftshader', 0.6), row('tfjs-webgpu', 'swiftshader', 100)],
      [{ choice: 'swiftshader', software: true }],
      [sweepRow('swiftshader', 'sweep', 10), sweepRow('swiftshader', 'single', 0.7)],
    );
    const checks = targetChecks(r);
    expect(checks.map((c) => [c.device, c.verdict])).toEqual([
      ['@swiftshader', 'not met'], // 167x
      ['@swiftshader', 'met'], // 1.5x
      ['hardware', 'not measured'],
      ['@swiftshader (software: its cores bound the gain)', 'not met'],
    ]);
    expect(checks[2].measured).toBe('no GPU adapter ran in this run');
  });

  it('a disagreeing or missing row makes its targets "not measured"', () => {
    const r = result([row('wgtrain-cpu', 'cpu', 0.4), row('wgtrain-gpu', 'hardware', 0.05, { status: 'mismatch' }), row('tfjs-webgpu', 'hardware', 12)], [{ choice: 'hardware', software: false }]);
    expect(targetChecks(r).map((c) => [c.measured, c.verdict])).toEqual([
      ['no agreeing wgtrain GPU row', 'not measured'],
      ['no agreeing wgtrain GPU row', 'not measured'],
    ]);
  });

  it('both reports carry the table', () => {
    const r = result([row('wgtrain-cpu', 'cpu', 0.4), row('wgtrain-gpu', 'hardware', 0.05), row('tfjs-webgpu', 'hardware', 12)], [{ choice: 'hardware', software: false }]);
    expect(terminalReport(r)).toContain('Targets of the issues');
    expect(markdownReport(r)).toContain('| W1 on a real GPU: faster than the CPU reference | @hardware |');
  });
});
