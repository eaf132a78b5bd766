// The quick benchmark suite, run programmatically: the CPU reference, the fast CPU trainer, the GPU
// backend on SwiftShader (when it starts here) and TensorFlow.js's cpu backend, on the four quick
// workloads, one point of each sweep, the kernels alone and the lr-sweep suite (runSweep against the same
// runs one by one). Asserts agreement and the shape of every row only: timings are never asserted (they
// are printed by `npm run bench`).
//
// Agreement: every system's parameters after the check epochs, scored by the CPU reference code, give a
// training loss within the system's tolerance (bench/agreement.ts lossTolerance: 1e-5 relative for the
// fast CPU trainer and 1e-4 for the wgtrain GPU, which follow the CPU reference's algorithm; 1e-3 for
// TF.js, whose formulas and summation orders differ) of the CPU reference's after the same epochs; every
// kernel's sampled outputs are within its float32 rounding bound of the float64 oracle.

import { describe, expect, it } from 'vitest';
import { lossTolerance } from '../../bench/agreement.ts';
import { derive, jsonReport, markdownReport, sweepsSvg, terminalReport } from '../../bench/report.ts';
import { runBench, type BenchResult, type Row } from '../../bench/suite.ts';
import { availableAdapters } from '../gpu/harness.ts';

const available = await availableAdapters();
const lines: string[] = [];
const result: BenchResult = derive(
  await runBench({
    quick: true,
    suites: ['workloads', 'sweeps', 'kernels', 'lr-sweep'],
    systems: ['wgtrain-cpu', 'wgtrain-cpu-fast', 'wgtrain-gpu', 'tfjs-cpu'],
    adapters: ['swiftshader'],
    repeats: 1,
    only: ['W1', 'W2q', 'W3q', 'W4q', 'N=1000', 'H=64'],
    command: 'test/bench/quick.test.ts',
    log: (line) => lines.push(line),
  }),
);

/** Every column a row carries (null where it does not apply), from the Row type's fields. */
const COLUMNS: (keyof Row)[] = [
  'suite', 'workload', 'title', 'sweepValue', 'system', 'label', 'device', 'adapter', 'software', 'status', 'reason',
  'trainSize', 'batchSize', 'stepsPerEpoch', 'flopsPerEpoch', 'setupMs', 'checkEpochs', 'checkMs', 'finalLoss',
  'referenceLoss', 'lossDifference', 'tolerance', 'agrees', 'trainAccuracy', 'testAccuracy', 'epochsPerRepeat',
  'repeats', 'msPerEpoch', 'msPerStep', 'samplesPerSecond', 'gflops', 'peakGflops', 'peakFraction',
  'dispatchesPerStep', 'passesPerStep', 'reportedDispatchesPerEpoch', 'gpuMsPerEpoch', 'instrumentedTiming',
  'speedupVsCpuReference', 'bytesPerEpoch', 'floorMsPerEpoch', 'floorBound', 'rowWallMs',
];

const systems = [
  { system: 'wgtrain-cpu', device: 'cpu', runs: true },
  { system: 'wgtrain-cpu-fast', device: 'cpu', runs: true },
  { system: 'wgtrain-gpu', device: 'swiftshader', runs: available.swiftshader },
  { system: 'tfjs-cpu', device: 'cpu', runs: true },
] as const;

describe('bench --quick', () => {
  it('has a row for every system on every selected workload, each with every column', () => {
    const workloads = ['W1', 'W2q', 'W3q', 'W4q', 'N=1000', 'H=64'];
    for (const s of systems) {
      for (const w of workloads) {
        const rows = result.rows.filter((r) => r.system === s.system && r.device === s.device && r.workload === w);
        expect(rows.length, `${s.system} on ${s.device}, ${w}`).toBeGreaterThan(0);
      }
    }
    for (const r of result.rows) {
      for (const c of COLUMNS) expect(r, `${r.workload} ${r.label}: column ${c}`).toHaveProperty(c);
      expect(Object.keys(r).sort()).toEqual([...COLUMNS].sort());
    }
  });

  it.each(systems)('$system on $device: every row ran and agrees with the CPU reference', ({ system, device, runs }) => {
    const rows = result.rows.filter((r) => r.system === system && r.device === device);
    if (!runs) {
      // The adapter does not start here: its rows say so, as failures with the reason.
      for (const r of rows) expect(r.status, `${r.workload}`).toBe('failed');
      return;
    }
    for (const r of rows) {
      const what = `${r.workload} ${r.label}: ${r.reason ?? ''}`;
      expect(r.status, what).toBe('ok');
      expect(r.agrees, what).toBe(true);
      expect(r.checkEpochs, what).toBeGreaterThanOrEqual(1);
      expect(r.finalLoss, what).not.toBeNull();
      expect(r.referenceLoss, what).not.toBeNull();
      expect(r.tolerance, what).toBe(lossTolerance(r.system));
      expect(Math.abs(r.finalLoss! - r.referenceLoss!) / r.referenceLoss!, what).toBeLessThanOrEqual(r.tolerance);
      // The timed columns are filled (their values are not asserted).
      expect(r.msPerEpoch, what).not.toBeNull();
      expect(r.samplesPerSecond, what).not.toBeNull();
      expect(r.gflops, what).not.toBeNull();
      if (r.device !== 'cpu') expect(r.dispatchesPerStep, what).not.toBeNull();
      // The floor: the math's bytes, and on a GPU adapter (peak, bandwidth and dispatch cost measured in
      // this run) a bound that is one of the three.
      expect(r.bytesPerEpoch, what).toBeGreaterThan(0);
      if (r.device !== 'cpu') expect(['compute', 'memory', 'dispatch'], what).toContain(r.floorBound);
      if (r.workload === 'W4q') expect(r.testAccuracy, what).not.toBeNull();
    }
  });

  it('the CPU reference agrees with itself exactly, and trains (its loss falls below the initial one)', () => {
    for (const r of result.rows.filter((x) => x.system === 'wgtrain-cpu')) {
      expect(r.lossDifference, r.workload).toBe(0);
      // log(classes) is the loss of a uniform prediction; every workload learns something in its check.
      const classes = r.workload.startsWith('W4') ? 10 : 5;
      expect(r.finalLoss!, r.workload).toBeLessThan(Math.log(classes) + 0.5);
    }
  });

  it('measures each GPU adapter\'s fixed costs: a no-op dispatch and the copy bandwidth', () => {
    expect(result.overhead.map((o) => o.device)).toEqual(available.swiftshader ? ['swiftshader'] : []);
    for (const o of result.overhead) {
      expect(o.perDispatchUs.median, o.device).toBeGreaterThan(0);
      expect(o.copyGBps!.median, o.device).toBeGreaterThan(0);
    }
  });

  it("every kernel that ran matches the float64 oracle at its sampled outputs", () => {
    const ran = result.kernels.filter((k) => k.status !== 'skipped');
    expect(ran.length).toBeGreaterThan(0);
    for (const k of ran) {
      const what = `${k.system} ${k.device} ${k.variant} ${k.shape.n}x${k.shape.inSize}x${k.shape.outSize}: ${k.reason ?? ''}`;
      expect(k.status, what).toBe('ok');
      expect(k.errorRatio!, what).toBeLessThanOrEqual(1);
    }
    if (available.swiftshader) expect(result.overhead.map((o) => o.device)).toContain('swiftshader');
  });

  it('lr-sweep: each sweep run equals its sequential run exactly (same adapter and path), every run the CPU reference within 1e-4', () => {
    const rows = result.lrSweep!.rows;
    const { lrs, seeds } = result.lrSweep!.config;
    const runs = lrs.length * seeds.length;
    expect(rows.filter((r) => r.device === 'cpu').map((r) => r.kind)).toEqual(['single', 'sequential']);
    for (const r of rows) {
      const what = `${r.device} ${r.kind} ${r.path}: ${r.reason ?? ''}`;
      if (r.device === 'swiftshader' && !available.swiftshader) {
        expect(r.status, what).toBe('failed');
        continue;
      }
      expect(r.status, what).toBe('ok');
      expect(r.agrees, what).toBe(true);
      expect(r.testLosses, what).toHaveLength(r.kind === 'single' ? 1 : runs);
      expect(r.diffVsCpu!, what).toBeLessThanOrEqual(r.device === 'cpu' ? 0 : lossTolerance('wgtrain-gpu'));
      expect(r.wallSeconds, what).not.toBeNull();
    }
    if (!available.swiftshader) return;
    const sweep = rows.find((r) => r.device === 'swiftshader' && r.kind === 'sweep')!;
    const sequential = rows.find((r) => r.device === 'swiftshader' && r.kind === 'sequential' && r.path === 'fused')!;
    expect(sweep.sideBySide).toBe(runs);
    expect(sweep.diffVsSequential).toBe(0);
    expect(sweep.testLosses).toEqual(sequential.testLosses);
  });

  it('renders the table, the JSON, the Markdown report and the sweeps chart', () => {
    const json = JSON.parse(jsonReport(result)) as BenchResult;
    expect(json.rows.length).toBe(result.rows.length);
    expect(terminalReport(result)).toContain('W1');
    expect(markdownReport(result)).toContain('| workload |');
    expect(markdownReport(result)).toContain('### lr-sweep: 2 learning rates');
    const svg = sweepsSvg(result);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('</svg>');
    expect(svg).toContain('wgtrain CPU ref');
  });
});
