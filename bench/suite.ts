// The benchmark suite, programmatic: opens each system in turn, runs the kernel microbenchmarks and the
// training rows on it, and returns every row (JSON-ready). bench/main.ts is the command line around it;
// test/bench/quick.test.ts runs the quick suite through it.
//
// One training row: the system starts a run from the workload's initial parameters (inputs uploaded,
// programs built: untimed, reported as setup); trains checkEpochs (the agreement check, which is also the
// warm-up: shader compilation, JIT); its parameters are scored by the CPU reference code and compared with
// the CPU reference's after the same epochs; then repeats of E epochs are timed by the wall clock (E from
// the check's speed, so a repeat takes about budget.repeatMs; repeats stop at `repeats` or when the row's
// budget is spent, after at least one); then, on GPU systems, one more repeat runs on an instrumented
// device to count dispatches and read GPU time from timestamp queries.

import { listNodeAdapters, type AdapterReport } from '../src/gpu/nodeGpu.ts';
import { score, lossTolerance, relativeDifference } from './agreement.ts';
import { cpuKernelRows, dispatchOverhead, gpuKernelRows, kernelShapes, makeShapeInputs, tfjsKernelRows, type KernelBudget, type KernelRow, type OverheadRow, type ShapeInputs } from './kernels.ts';
import { SYSTEM_IDS, type DeviceKey, type System, type SystemId, type TrainingRun } from './systems/system.ts';
import { TfjsSystem, loadTf, type TfBackendName } from './systems/tfjs.ts';
import { referenceTrainer, WgtrainCpuSystem } from './systems/wgtrainCpu.ts';
import { gpuSettingsText, PATHS_SUPPORTED, SkipVariant, WgtrainGpuSystem } from './systems/wgtrainGpu.ts';
import { GpuTimer, instrumentDevice, stats, timeMs, type Stats } from './timing.ts';
import { buildInputs, fullWorkloads, quickWorkloads, sweepN, sweepWidth, type SuiteName, type Workload, type WorkloadInputs } from './workloads.ts';

export const SUITES = ['workloads', 'sweeps', 'kernels'] as const;
export type Suite = (typeof SUITES)[number];
export const GPU_ADAPTERS = ['hardware', 'swiftshader', 'llvmpipe'] as const;
export type GpuAdapter = (typeof GPU_ADAPTERS)[number];

export interface BenchOptions {
  quick: boolean;
  suites: readonly Suite[];
  systems: readonly SystemId[];
  /** GPU adapters to use; those that do not start here are reported as such. */
  adapters: readonly GpuAdapter[];
  /** Timed repeats per row (at most; fewer when the row's time budget is spent). */
  repeats: number;
  /** Only these workload ids (e.g. "W1", "N=1000"); all when absent. */
  only?: readonly string[];
  /** The command line, for the report. */
  command: string;
  log: (line: string) => void;
}

/** Time budgets, per mode: what keeps `npm run bench` under ~15 minutes on the 2-core software machine. */
export function budgets(quick: boolean): { train: { repeatMs: number; rowMs: number }; kernels: KernelBudget } {
  return quick
    ? { train: { repeatMs: 25, rowMs: 120 }, kernels: { repeatMs: 10, repeats: 3, rowMs: 60, softwareTiledMaxFlops: 2e7 } }
    : { train: { repeatMs: 250, rowMs: 2500 }, kernels: { repeatMs: 150, repeats: 5, rowMs: 1500, softwareTiledMaxFlops: 1e8 } };
}

export type RowStatus = 'ok' | 'mismatch' | 'failed';

/** One training row: a system on one adapter, on one workload or sweep point. */
export interface Row {
  suite: SuiteName;
  workload: string;
  title: string;
  sweepValue: number | null;
  system: SystemId;
  /** What exactly ran. */
  label: string;
  device: DeviceKey;
  adapter: string;
  software: boolean;
  status: RowStatus;
  reason: string | null;
  trainSize: number;
  batchSize: number;
  stepsPerEpoch: number;
  flopsPerEpoch: number;
  /** Setup (upload, programs) in ms, untimed otherwise. */
  setupMs: number | null;
  /** The agreement check: epochs from the initial parameters, its wall time. */
  checkEpochs: number;
  checkMs: number | null;
  /** Mean training cross-entropy of the parameters after checkEpochs, scored by the CPU reference code. */
  finalLoss: number | null;
  referenceLoss: number | null;
  /** |finalLoss - referenceLoss| / referenceLoss, and the tolerance it is held to. */
  lossDifference: number | null;
  tolerance: number;
  agrees: boolean | null;
  trainAccuracy: number | null;
  /** Accuracy on the held-out set after checkEpochs (MNIST only). */
  testAccuracy: number | null;
  /** Epochs per timed repeat, repeats timed. */
  epochsPerRepeat: number | null;
  repeats: number | null;
  msPerEpoch: Stats | null;
  msPerStep: Stats | null;
  samplesPerSecond: number | null;
  gflops: number | null;
  /** The device's best measured matmul GFLOP/s (kernel suite of this run) and this row's fraction of it. */
  peakGflops: number | null;
  peakFraction: number | null;
  /** Counted on the device (GPU systems), including the per-epoch ones spread over the epoch's steps. */
  dispatchesPerStep: number | null;
  passesPerStep: number | null;
  /** What the system itself reports (wgtrain's fused/general paths), when it does. */
  reportedDispatchesPerEpoch: number | null;
  /** GPU time per epoch from timestamp queries (summed compute passes), where the adapter has them. */
  gpuMsPerEpoch: number | null;
  /** CPU reference ms per epoch / this row's (filled by the report). */
  speedupVsCpuReference: number | null;
}

export interface SystemStatus {
  system: SystemId;
  device: DeviceKey;
  adapter: string | null;
  started: boolean;
  reason: string | null;
}

export interface BenchResult {
  meta: {
    date: string;
    command: string;
    quick: boolean;
    suites: readonly Suite[];
    node: string;
    platform: string;
    adapters: AdapterReport[];
    gpuSettings: string;
    gpuPathsSupported: boolean;
    tfjsVersion: string | null;
    budgets: ReturnType<typeof budgets>;
    repeats: number;
    wallSeconds: number;
  };
  systems: SystemStatus[];
  rows: Row[];
  kernels: KernelRow[];
  overhead: OverheadRow[];
}

/** What to open, in order: the CPU reference first (its check runs are the reference losses). */
function systemPlan(options: BenchOptions): { id: SystemId; device: DeviceKey }[] {
  const plan: { id: SystemId; device: DeviceKey }[] = [];
  for (const id of SYSTEM_IDS) {
    if (!options.systems.includes(id)) continue;
    if (id === 'wgtrain-gpu' || id === 'tfjs-webgpu') for (const a of options.adapters) plan.push({ id, device: a });
    else plan.push({ id, device: 'cpu' });
  }
  return plan;
}

async function openSystem(id: SystemId, device: DeviceKey): Promise<System> {
  switch (id) {
    case 'wgtrain-cpu':
      return new WgtrainCpuSystem();
    case 'wgtrain-gpu':
      if (device === 'cpu') throw new Error('wgtrain-gpu needs an adapter');
      return WgtrainGpuSystem.open(device);
    default:
      return TfjsSystem.open(id.slice('tfjs-'.length) as TfBackendName, device);
  }
}

export function selectedWorkloads(options: Pick<BenchOptions, 'quick' | 'suites' | 'only'>): Workload[] {
  const list: Workload[] = [];
  if (options.suites.includes('workloads')) list.push(...(options.quick ? quickWorkloads() : fullWorkloads()));
  if (options.suites.includes('sweeps')) list.push(...sweepN(options.quick), ...sweepWidth(options.quick));
  return options.only ? list.filter((w) => options.only!.includes(w.id)) : list;
}

interface Reference {
  loss: number;
  accuracy: number;
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const started = performance.now();
  const { log } = options;
  const budget = budgets(options.quick);
  const adapters = await listNodeAdapters();
  const found = new Set(adapters.filter((a) => a.found).map((a) => a.choice));
  for (const a of adapters) log(`adapter ${a.choice}: ${a.found ? `${a.name}${a.software ? ' (CPU-emulated)' : ''}, ${a.featureLevel}, timestamps ${a.timestampQuery ? 'yes' : 'no'}` : 'not found'}`);
  const workloads = selectedWorkloads(options);
  const inputs = new Map<string, WorkloadInputs>();
  const references = new Map<string, Reference>();
  const getInputs = (w: Workload): WorkloadInputs => {
    let built = inputs.get(w.id);
    if (!built) {
      built = buildInputs(w);
      inputs.set(w.id, built);
    }
    return built;
  };
  const shapes = options.suites.includes('kernels') ? kernelShapes(options.quick).map((s, i) => makeShapeInputs(s, 100 + i)) : [];

  const result: BenchResult = {
    meta: {
      date: new Date().toISOString(),
      command: options.command,
      quick: options.quick,
      suites: options.suites,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      adapters,
      gpuSettings: gpuSettingsText(),
      gpuPathsSupported: PATHS_SUPPORTED,
      tfjsVersion: null,
      budgets: budget,
      repeats: options.repeats,
      wallSeconds: 0,
    },
    systems: [],
    rows: [],
    kernels: [],
    overhead: [],
  };

  for (const { id, device } of systemPlan(options)) {
    let system: System | null = null;
    let failure: string | null = null;
    if (device !== 'cpu' && !found.has(device)) failure = `no ${device} adapter on this machine`;
    else {
      try {
        system = await openSystem(id, device);
      } catch (error) {
        failure = `${id} did not start on ${device}: ${firstLine(error)}`;
      }
    }
    result.systems.push({ system: id, device, adapter: system?.adapterName ?? null, started: system !== null, reason: failure });
    log(`system ${id} on ${device}: ${system ? system.adapterName : `NOT STARTED (${failure})`}`);
    if (id.startsWith('tfjs') && system) result.meta.tfjsVersion = (await loadTf()).version_core;
    try {
      if (system && shapes.length > 0) await kernelSuite(system, shapes, budget.kernels, options.quick, result, log);
      for (const w of workloads) {
        const inp = getInputs(w);
        if (!system) {
          result.rows.push(failedRow(inp, id, device, failure!));
          continue;
        }
        for (const variant of system.variants(inp)) {
          const row = await trainingRow(system, variant, inp, () => reference(inp, references), references, options.repeats, budget.train, log);
          if (row) result.rows.push(row);
        }
      }
    } finally {
      await system?.close();
    }
  }
  result.meta.wallSeconds = (performance.now() - started) / 1000;
  return result;
}

/** The CPU reference's loss after the workload's check epochs (trained here when no CPU row made it). */
async function reference(inp: WorkloadInputs, references: Map<string, Reference>): Promise<Reference> {
  let ref = references.get(inp.workload.id);
  if (!ref) {
    const trainer = referenceTrainer(inp);
    await trainer.train(inp.workload.checkEpochs);
    ref = score(await trainer.getParams(), inp.train);
    references.set(inp.workload.id, ref);
  }
  return ref;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
  return text.split('\n')[0].slice(0, 300);
}

function emptyRow(inp: WorkloadInputs, system: SystemId, device: DeviceKey): Row {
  const w = inp.workload;
  return {
    suite: w.suite,
    workload: w.id,
    title: w.title,
    sweepValue: w.sweepValue ?? null,
    system,
    label: system,
    device,
    adapter: '',
    software: false,
    status: 'failed',
    reason: null,
    trainSize: inp.train.size,
    batchSize: inp.batchSize,
    stepsPerEpoch: inp.stepsPerEpoch,
    flopsPerEpoch: inp.flopsPerEpoch,
    setupMs: null,
    checkEpochs: w.checkEpochs,
    checkMs: null,
    finalLoss: null,
    referenceLoss: null,
    lossDifference: null,
    tolerance: lossTolerance(system),
    agrees: null,
    trainAccuracy: null,
    testAccuracy: null,
    epochsPerRepeat: null,
    repeats: null,
    msPerEpoch: null,
    msPerStep: null,
    samplesPerSecond: null,
    gflops: null,
    peakGflops: null,
    peakFraction: null,
    dispatchesPerStep: null,
    passesPerStep: null,
    reportedDispatchesPerEpoch: null,
    gpuMsPerEpoch: null,
    speedupVsCpuReference: null,
  };
}

function failedRow(inp: WorkloadInputs, system: SystemId, device: DeviceKey, reason: string): Row {
  return { ...emptyRow(inp, system, device), reason };
}

async function trainingRow(
  system: System,
  variant: string,
  inp: WorkloadInputs,
  getReference: () => Promise<Reference>,
  references: Map<string, Reference>,
  repeats: number,
  budget: { repeatMs: number; rowMs: number },
  log: (line: string) => void,
): Promise<Row | null> {
  const w = inp.workload;
  const row: Row = { ...emptyRow(inp, system.id, system.device), adapter: system.adapterName, software: system.software, label: `${system.id} ${variant}` };
  let run: TrainingRun | null = null;
  try {
    row.setupMs = await timeMs(async () => {
      run = await system.start(inp, variant);
    });
    const r = run! as TrainingRun;
    row.label = r.label;
    row.reportedDispatchesPerEpoch = r.reportedDispatchesPerEpoch;
    // Correctness first (and warm-up): the check epochs from the initial parameters.
    await r.prepare(w.checkEpochs);
    row.checkMs = await timeMs(() => r.train(w.checkEpochs));
    const params = await r.params();
    const own = score(params, inp.train);
    if (system.id === 'wgtrain-cpu' && variant === system.variants(inp)[0] && !references.has(w.id)) references.set(w.id, own);
    const ref = await getReference();
    row.finalLoss = own.loss;
    row.trainAccuracy = own.accuracy;
    row.testAccuracy = inp.test ? score(params, inp.test).accuracy : null;
    row.referenceLoss = ref.loss;
    row.lossDifference = relativeDifference(own.loss, ref.loss);
    row.agrees = Number.isFinite(own.loss) && row.lossDifference <= row.tolerance;
    row.status = row.agrees ? 'ok' : 'mismatch';
    if (!row.agrees) row.reason = `final loss ${own.loss} vs CPU reference ${ref.loss} after ${w.checkEpochs} epochs: relative difference ${row.lossDifference.toExponential(2)} > ${row.tolerance}`;
    // Timed repeats (timed even on a mismatch, so the row is complete; the report never uses its time).
    const estimate = row.checkMs / w.checkEpochs;
    const epochs = Math.max(1, Math.min(w.epochs, Math.round(budget.repeatMs / Math.max(estimate, 1e-3))));
    const perEpoch: number[] = [];
    let spent = 0;
    while (perEpoch.length < repeats && (perEpoch.length === 0 || spent + estimate * epochs <= budget.rowMs)) {
      await r.prepare(epochs);
      const ms = await timeMs(() => r.train(epochs));
      spent += ms;
      perEpoch.push(ms / epochs);
    }
    row.epochsPerRepeat = epochs;
    row.repeats = perEpoch.length;
    row.msPerEpoch = stats(perEpoch);
    row.msPerStep = stats(perEpoch.map((ms) => ms / inp.stepsPerEpoch));
    row.samplesPerSecond = inp.train.size / (row.msPerEpoch.median / 1000);
    row.gflops = inp.flopsPerEpoch / (row.msPerEpoch.median * 1e6);
    // One instrumented repeat: dispatches counted, GPU time from timestamps.
    if (r.gpuDevice) {
      const timer = system.timestamps ? new GpuTimer(r.gpuDevice, 'bench row') : null;
      try {
        await r.prepare(epochs);
        const instrumented = instrumentDevice(r.gpuDevice, timer);
        try {
          await r.train(epochs);
        } finally {
          instrumented.restore();
        }
        row.dispatchesPerStep = instrumented.dispatches / (epochs * inp.stepsPerEpoch);
        row.passesPerStep = instrumented.passes / (epochs * inp.stepsPerEpoch);
        if (timer) {
          const t = await timer.read();
          row.gpuMsPerEpoch = t.dropped === 0 ? t.ms / epochs : null;
        }
      } finally {
        timer?.destroy();
      }
    }
  } catch (error) {
    if (error instanceof SkipVariant) return null;
    row.status = 'failed';
    row.reason = firstLine(error);
  } finally {
    (run as TrainingRun | null)?.dispose();
  }
  log(rowLine(row));
  return row;
}

export function rowLine(r: Row): string {
  const head = `  ${r.workload} ${r.label} [${r.device}]`;
  if (r.status === 'failed') return `${head}: FAILED ${r.reason}`;
  const t = r.msPerEpoch!;
  const gpu = r.gpuMsPerEpoch !== null ? `, GPU ${r.gpuMsPerEpoch.toPrecision(3)} ms` : '';
  const disp = r.dispatchesPerStep !== null ? `, ${r.dispatchesPerStep.toPrecision(3)} dispatches/step` : '';
  return `${head}: ${t.median.toPrecision(3)} ms/epoch (${t.min.toPrecision(3)}-${t.max.toPrecision(3)}, ${r.repeats}x${r.epochsPerRepeat})${gpu}${disp}; loss ${r.finalLoss?.toPrecision(6)} (diff ${r.lossDifference?.toExponential(1)})${r.status === 'mismatch' ? ' MISMATCH' : ''}`;
}

async function kernelSuite(system: System, shapes: ShapeInputs[], budget: KernelBudget, quick: boolean, result: BenchResult, log: (line: string) => void): Promise<void> {
  if (system instanceof WgtrainCpuSystem) {
    result.kernels.push(...(await cpuKernelRows(system.adapterName, shapes, budget, log)));
  } else if (system instanceof WgtrainGpuSystem) {
    const usable = shapes.filter((s) => !s.shape.hardwareOnly || !system.software);
    result.kernels.push(...(await gpuKernelRows(system.ctx, system.device, system.adapterName, usable, budget, log)));
    const overhead = await dispatchOverhead(system.ctx, system.device, system.adapterName, quick);
    log(`  no-op dispatch on ${system.device}: ${overhead.perDispatchUs.toFixed(1)} us/dispatch, ${overhead.perSubmitUs.toFixed(1)} us/submission, ${overhead.roundTripUs.toFixed(1)} us/round trip`);
    result.overhead.push(overhead);
  } else if (system instanceof TfjsSystem) {
    await system.activate();
    result.kernels.push(...(await tfjsKernelRows(system.tf, system.id, system.device, system.adapterName, system.software, shapes, budget, log)));
  }
}
