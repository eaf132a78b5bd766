// The benchmark suite, programmatic: opens each system in turn, runs the kernel microbenchmarks and the
// training rows on it, and returns every row (JSON-ready). bench/main.ts is the command line around it;
// test/bench/quick.test.ts runs the quick suite through it.
//
// One training row:
//   1. setup: the system starts a run from the workload's initial parameters (inputs uploaded, programs
//      built; untimed, reported as setupMs);
//   2. check, which is also the warm-up (shader compilation, JIT): one epoch, a second when the first was
//      quick, then on to the largest epoch count of CHECK_POINTS the check budget allows, up to the
//      workload's epochs; the parameters are scored by the CPU reference code and compared with the CPU
//      reference's after the same epochs (a fast wrong answer is not a result);
//   3. timed repeats of E epochs by the wall clock (E from the check's speed, so a repeat takes about
//      budget.repeatMs; repeats stop at `repeats` or when the row budget is spent, after at least one);
//   4. on GPU systems, one more repeat on an instrumented device counts dispatches and reads GPU time from
//      timestamp queries (for rows whose epochs take seconds, the first timed repeat is the instrumented
//      one instead, and the row says so).
// A row whose two epochs would take longer than the row cap allows is skipped with that reason: a sweep
// point predicted from the same system's biggest earlier point of that sweep, scaled by work; a heavy
// workload (W3, W4) from a probe on 1/16 of its samples. Workloads run cheapest first (W1, W2, the
// sweeps, W3, W4).

import { listNodeAdapters, type AdapterReport } from '../src/gpu/nodeGpu.ts';
import { score, lossTolerance, relativeDifference } from './agreement.ts';
import { errorLine } from './errors.ts';
import { lrSweepConfig, runLrSweepSuite, type LrSweepResult } from './lrSweep.ts';
import { cpuKernelRows, dispatchOverhead, gpuKernelRows, kernelShapes, makeShapeInputs, tfjsKernelRows, type KernelBudget, type KernelRow, type OverheadRow, type ShapeInputs } from './kernels.ts';
import { SYSTEM_IDS, type DeviceKey, type System, type SystemId, type TrainingRun } from './systems/system.ts';
import { TfjsSystem, loadTf, type TfBackendName } from './systems/tfjs.ts';
import { referenceTrainer, WgtrainCpuFastSystem, WgtrainCpuSystem } from './systems/wgtrainCpu.ts';
import { gpuSettingsText, PATHS_SUPPORTED, SkipVariant, WgtrainGpuSystem } from './systems/wgtrainGpu.ts';
import { GpuTimer, instrumentDevice, stats, timeMs, type Stats } from './timing.ts';
import { fusedEpochBytes, generalEpochBytes, type FloorBound } from './traffic.ts';
import { buildInputs, fullWorkloads, quickWorkloads, subsampleInputs, sweepN, sweepWidth, type SuiteName, type Workload, type WorkloadInputs } from './workloads.ts';

export const SUITES = ['workloads', 'sweeps', 'kernels', 'lr-sweep'] as const;
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

export interface TrainBudget {
  /** Wall-clock ms one timed repeat aims at. */
  repeatMs: number;
  /** Wall-clock ms a row may spend in timed repeats (at least one runs). */
  rowMs: number;
  /** Wall-clock ms the agreement check may take beyond its first epoch (or two). */
  checkMs: number;
  /**
   * The same for the CPU reference on the four workloads: more, so that it trains the workload's own
   * epochs where it can (W4's 5 epochs and its test accuracy: the answer every other row is held to).
   */
  referenceCheckMs: number;
  /**
   * A row (not the CPU reference's) is skipped when two of its epochs are predicted to take longer than
   * its cap: wgtrain's own rows on the four workloads get the most room, TF.js's less, sweep points least.
   */
  workloadCapMs: number;
  peerWorkloadCapMs: number;
  sweepCapMs: number;
}

/** Time budgets, per mode: what keeps `npm run bench` under ~15 minutes on the 2-core software machine. */
export function budgets(quick: boolean): { train: TrainBudget; kernels: KernelBudget } {
  return quick
    ? { train: { repeatMs: 20, rowMs: 80, checkMs: 250, referenceCheckMs: 250, workloadCapMs: 6000, peerWorkloadCapMs: 6000, sweepCapMs: 4000 }, kernels: { repeatMs: 10, repeats: 3, rowMs: 60, softwareTiledMaxFlops: 2e7, softwareMaxFlops: 2e7 } }
    : { train: { repeatMs: 200, rowMs: 1500, checkMs: 3000, referenceCheckMs: 20_000, workloadCapMs: 120_000, peerWorkloadCapMs: 60_000, sweepCapMs: 20_000 }, kernels: { repeatMs: 100, repeats: 5, rowMs: 800, softwareTiledMaxFlops: 1e8, softwareMaxFlops: 2.5e8 } };
}

/** Epoch counts the agreement check stops at (the CPU reference records its loss at each). */
export const CHECK_POINTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

export type RowStatus = 'ok' | 'mismatch' | 'failed' | 'skipped';

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
  /** The agreement check: epochs from the initial parameters (at most the workload's), its wall time. */
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
  /** Whether the instrumented repeat was also the (first) wall-timed one (rows of seconds per epoch). */
  instrumentedTiming: boolean;
  /** CPU reference ms per epoch / this row's (filled by the report). */
  speedupVsCpuReference: number | null;
  /** Global-memory bytes the row's path must move per epoch (bench/traffic.ts), the same model for every system but wgtrain's fused path. */
  bytesPerEpoch: number | null;
  /** The epoch's floor on this device and the bound that sets it (bench/traffic.ts epochFloor; filled by the report). */
  floorMsPerEpoch: number | null;
  floorBound: FloorBound | null;
  /** Wall ms the whole row took here (probe, setup, check, repeats): what the time budgets act on. */
  rowWallMs: number | null;
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
  /** The lr-sweep suite (runSweep against sequential runs); null when it did not run. */
  lrSweep: LrSweepResult | null;
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
    case 'wgtrain-cpu-fast':
      return new WgtrainCpuFastSystem();
    case 'wgtrain-gpu':
      if (device === 'cpu') throw new Error('wgtrain-gpu needs an adapter');
      return WgtrainGpuSystem.open(device);
    default:
      return TfjsSystem.open(id.slice('tfjs-'.length) as TfBackendName, device);
  }
}

/** The workloads to run, cheapest first: W1, W2, the N sweep, the width sweep, W3, W4. */
export function selectedWorkloads(options: Pick<BenchOptions, 'quick' | 'suites' | 'only'>): Workload[] {
  const workloads = options.suites.includes('workloads') ? (options.quick ? quickWorkloads() : fullWorkloads()) : [];
  const sweeps = options.suites.includes('sweeps') ? [...sweepN(options.quick), ...sweepWidth(options.quick)] : [];
  const list = [...workloads.slice(0, 2), ...sweeps, ...workloads.slice(2)];
  return options.only ? list.filter((w) => options.only!.includes(w.id)) : list;
}

interface Reference {
  loss: number;
  accuracy: number;
}

/**
 * The CPU reference's loss after k epochs, per workload: recorded by the CPU reference's own rows at every
 * check point, or (when that system is not selected) trained here, untimed, on demand.
 */
class References {
  private readonly byWorkload = new Map<string, Map<number, Reference>>();

  set(workload: string, epochs: number, ref: Reference): void {
    let m = this.byWorkload.get(workload);
    if (!m) this.byWorkload.set(workload, (m = new Map()));
    m.set(epochs, ref);
  }

  /** The most epochs a reference exists for (0 when none). */
  maxEpochs(workload: string): number {
    return Math.max(0, ...(this.byWorkload.get(workload)?.keys() ?? []));
  }

  async get(inp: WorkloadInputs, epochs: number): Promise<Reference> {
    const known = this.byWorkload.get(inp.workload.id)?.get(epochs);
    if (known) return known;
    const trainer = referenceTrainer(inp);
    await trainer.train(epochs);
    const ref = score(await trainer.getParams(), inp.train);
    this.set(inp.workload.id, epochs, ref);
    return ref;
  }
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const started = performance.now();
  const { log } = options;
  const budget = budgets(options.quick);
  const adapters = await listNodeAdapters();
  const found = new Set(adapters.filter((a) => a.found).map((a) => a.choice));
  for (const a of adapters) log(`adapter ${a.choice}: ${a.found ? `${a.name}${a.software ? ' (CPU-emulated)' : ''}, ${a.featureLevel}, timestamps ${a.timestampQuery ? 'yes' : 'no'}` : 'not found'}`);
  const workloads = selectedWorkloads(options);
  // Inputs are built once per workload and shared by every system; a workload whose data cannot be
  // loaded here (MNIST without the `mnist` package) gets failed rows saying why.
  const inputs = new Map<string, WorkloadInputs | Error>();
  const references = new References();
  const getInputs = (w: Workload): WorkloadInputs | Error => {
    let built = inputs.get(w.id);
    if (!built) {
      try {
        built = buildInputs(w);
      } catch (error) {
        built = new Error(`inputs of ${w.id}: ${errorLine(error)}`);
      }
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
    lrSweep: null,
  };

  // The lr-sweep suite alone opens no system: it drives runSweep and runTraining itself.
  const plan = workloads.length > 0 || shapes.length > 0 ? systemPlan(options) : [];
  for (const { id, device } of plan) {
    let system: System | null = null;
    let failure: string | null = null;
    if (device !== 'cpu' && !found.has(device)) failure = `no ${device} adapter on this machine`;
    else {
      try {
        system = await openSystem(id, device);
      } catch (error) {
        failure = `${id} did not start on ${device}: ${errorLine(error)}`;
      }
    }
    result.systems.push({ system: id, device, adapter: system?.adapterName ?? null, started: system !== null, reason: failure });
    log(`system ${id} on ${device}: ${system ? system.adapterName : `NOT STARTED (${failure})`}`);
    if (id.startsWith('tfjs') && system) result.meta.tfjsVersion = (await loadTf()).version_core;
    try {
      if (system instanceof WgtrainGpuSystem) await deviceCosts(system, options.quick, result, log);
      if (system && shapes.length > 0) await kernelSuite(system, shapes, budget.kernels, result, log);
      for (const w of workloads) {
        const inp = getInputs(w);
        if (!system || inp instanceof Error) {
          result.rows.push(failedRow(w, inp instanceof Error ? null : inp, id, device, inp instanceof Error ? inp.message : failure!));
          continue;
        }
        // A sweep point that is a workload already run (N=100,000 is W2): its rows, renamed.
        const twins = result.rows.filter((r) => w.sameAs !== undefined && r.workload === w.sameAs && r.system === id && r.device === device);
        if (twins.length > 0) {
          for (const t of twins) result.rows.push({ ...t, suite: w.suite, workload: w.id, title: `${w.title} (the rows of ${w.sameAs})`, sweepValue: w.sweepValue ?? null, rowWallMs: 0 });
          continue;
        }
        for (const variant of system.variants(inp)) {
          const row = await trainingRow(system, variant, inp, references, result, options.repeats, budget.train, log);
          if (row) result.rows.push(row);
          // One skipped row stands for every variant of the system on this workload.
          if (row?.status === 'skipped') break;
        }
      }
    } finally {
      await system?.close();
    }
  }
  if (options.suites.includes('lr-sweep')) {
    const gpu = options.systems.includes('wgtrain-gpu') ? options.adapters.map((device) => ({ device, found: found.has(device) })) : [];
    result.lrSweep = await runLrSweepSuite(lrSweepConfig(options.quick), gpu, log);
  }
  result.meta.wallSeconds = (performance.now() - started) / 1000;
  return result;
}

function emptyRow(w: Workload, inp: WorkloadInputs | null, system: SystemId, device: DeviceKey): Row {
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
    trainSize: inp?.train.size ?? w.data.trainSize,
    batchSize: inp?.batchSize ?? w.batchSize,
    stepsPerEpoch: inp?.stepsPerEpoch ?? 0,
    flopsPerEpoch: inp?.flopsPerEpoch ?? 0,
    setupMs: null,
    checkEpochs: 0,
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
    bytesPerEpoch: null,
    floorMsPerEpoch: null,
    floorBound: null,
    instrumentedTiming: false,
    speedupVsCpuReference: null,
    rowWallMs: null,
  };
}

function failedRow(w: Workload, inp: WorkloadInputs | null, system: SystemId, device: DeviceKey, reason: string): Row {
  return { ...emptyRow(w, inp, system, device), reason };
}

/**
 * Milliseconds an epoch of a sweep point should take on this system, from its row of the most work in the
 * same sweep on this device, scaled by work (0 when it has none yet). Along one sweep the work grows with
 * N or with the width, so linear scaling holds; it is pessimistic where bigger problems run more
 * efficiently (GPUs), realistic on the CPU-emulated adapters the cap is for.
 */
function predictEpochMs(rows: readonly Row[], system: SystemId, device: DeviceKey, inp: WorkloadInputs): number {
  const mine = rows.filter((r) => r.suite === inp.workload.suite && r.system === system && r.device === device && r.msPerEpoch && r.flopsPerEpoch > 0);
  if (mine.length === 0) return 0;
  const biggest = mine.reduce((a, b) => (b.flopsPerEpoch > a.flopsPerEpoch ? b : a));
  return biggest.msPerEpoch!.median * (inp.flopsPerEpoch / biggest.flopsPerEpoch);
}

async function trainingRow(
  system: System,
  variant: string,
  inp: WorkloadInputs,
  references: References,
  done: { rows: readonly Row[] },
  repeats: number,
  budget: TrainBudget,
  log: (line: string) => void,
): Promise<Row | null> {
  const rowStart = performance.now();
  const w = inp.workload;
  const row: Row = { ...emptyRow(w, inp, system.id, system.device), adapter: system.adapterName, software: system.software, label: `${system.id} ${variant}` };
  const isReference = system.id === 'wgtrain-cpu';
  const sweep = w.suite !== 'workloads';
  const predictedMs = isReference ? 0 : sweep ? predictEpochMs(done.rows, system.id, system.device, inp) : inp.flopsPerEpoch >= PROBE_MIN_FLOPS ? await probeEpochMs(system, variant, inp) : 0;
  const cap = sweep ? budget.sweepCapMs : system.id.startsWith('tfjs') ? budget.peerWorkloadCapMs : budget.workloadCapMs;
  if (2 * predictedMs > cap) {
    row.status = 'skipped';
    const how = sweep ? "from this system's biggest point of the sweep here, scaled by work" : `from a probe on 1/${PROBE_FACTOR} of the samples, scaled by work`;
    row.reason = `predicted ${fmtSeconds(predictedMs)} per epoch (${how}): two epochs exceed the row cap of ${fmtSeconds(cap)}`;
    row.rowWallMs = performance.now() - rowStart;
    log(rowLine(row));
    return row;
  }
  let run: TrainingRun | null = null;
  try {
    row.setupMs = await timeMs(async () => {
      run = await system.start(inp, variant);
    });
    const r = run! as TrainingRun;
    row.label = r.label;
    row.reportedDispatchesPerEpoch = r.reportedDispatchesPerEpoch;

    // 1. Correctness first, and warm-up: train to a check point, scoring the CPU reference at each.
    let trained = 0;
    let checkMs = 0;
    /** Wall ms per epoch of the latest stretch; the first epoch's (warm-up, compilation) alone. */
    let epochMs = 0;
    let firstMs = 0;
    const trainTo = async (epochs: number) => {
      await r.prepare(epochs - trained);
      const ms = await timeMs(() => r.train(epochs - trained));
      epochMs = ms / (epochs - trained);
      if (trained === 0) firstMs = ms;
      checkMs += ms;
      trained = epochs;
      if (isReference && (CHECK_POINTS.includes(epochs) || epochs === w.epochs)) {
        references.set(w.id, epochs, score(await r.params(), inp.train));
      }
    };
    await trainTo(1);
    // The most epochs a reference exists for limits the others (the CPU reference ran first).
    const limit = isReference ? w.epochs : Math.min(w.epochs, references.maxEpochs(w.id) || w.epochs);
    const checkBudget = isReference && !sweep ? budget.referenceCheckMs : budget.checkMs;
    if (limit >= 2 && epochMs <= checkBudget / 4) await trainTo(2);
    // The check budget counts from the second epoch: the first carries the one-off warm-up.
    for (const point of CHECK_POINTS) {
      if (point <= trained || point > limit) continue;
      if ((point - trained) * epochMs > checkBudget - (checkMs - firstMs)) break;
      await trainTo(point);
    }
    row.checkEpochs = trained;
    row.checkMs = checkMs;
    const params = await r.params();
    const own = score(params, inp.train);
    const ref = await references.get(inp, trained);
    row.finalLoss = own.loss;
    row.trainAccuracy = own.accuracy;
    row.testAccuracy = inp.test ? score(params, inp.test).accuracy : null;
    row.referenceLoss = ref.loss;
    row.lossDifference = relativeDifference(own.loss, ref.loss);
    row.agrees = Number.isFinite(own.loss) && row.lossDifference <= row.tolerance;
    row.status = row.agrees ? 'ok' : 'mismatch';
    if (!row.agrees) row.reason = `final loss ${own.loss} vs CPU reference ${ref.loss} after ${trained} epochs: relative difference ${row.lossDifference.toExponential(2)} > ${row.tolerance}`;

    // 2. Timed repeats (timed even on a mismatch, so the row is complete; no headline uses its time).
    const estimate = epochMs;
    const epochs = Math.max(1, Math.min(w.epochs, Math.round(budget.repeatMs / Math.max(estimate, 1e-3))));
    // Rows of seconds per repeat get no extra instrumented repeat: their first timed one is instrumented.
    const instrumentFirst = r.gpuDevice !== null && estimate * epochs > budget.rowMs / 4;
    const perEpoch: number[] = [];
    let spent = 0;
    while (perEpoch.length < repeats && (perEpoch.length === 0 || spent + estimate * epochs <= budget.rowMs)) {
      await r.prepare(epochs);
      const ms = instrumentFirst && perEpoch.length === 0 ? await instrumentedRepeat(row, r, system, inp, epochs) : await timeMs(() => r.train(epochs));
      spent += ms;
      perEpoch.push(ms / epochs);
    }
    row.instrumentedTiming = instrumentFirst;
    row.epochsPerRepeat = epochs;
    row.repeats = perEpoch.length;
    row.msPerEpoch = stats(perEpoch);
    row.msPerStep = stats(perEpoch.map((ms) => ms / inp.stepsPerEpoch));
    row.samplesPerSecond = inp.train.size / (row.msPerEpoch.median / 1000);
    row.gflops = inp.flopsPerEpoch / (row.msPerEpoch.median * 1e6);
    const { spec } = inp.workload;
    row.bytesPerEpoch = row.system === 'wgtrain-gpu' && /, fused path/.test(row.label) ? fusedEpochBytes(spec, inp.train.size) : generalEpochBytes(spec, inp.train.size, inp.batchSize);

    // 3. One instrumented repeat: dispatches counted, GPU time from timestamps.
    if (r.gpuDevice && !instrumentFirst) {
      await r.prepare(epochs);
      await instrumentedRepeat(row, r, system, inp, epochs);
    }
  } catch (error) {
    if (error instanceof SkipVariant) return null;
    row.status = 'failed';
    row.reason = errorLine(error);
  } finally {
    (run as TrainingRun | null)?.dispose();
  }
  row.rowWallMs = performance.now() - rowStart;
  log(rowLine(row));
  return row;
}

/** Trains `epochs` (prepared) on the instrumented device; fills the dispatch and GPU-time columns; returns the wall ms. */
async function instrumentedRepeat(row: Row, r: TrainingRun, system: System, inp: WorkloadInputs, epochs: number): Promise<number> {
  const device = r.gpuDevice!;
  const timer = system.timestamps ? new GpuTimer(device, 'bench row') : null;
  try {
    const instrumented = instrumentDevice(device, timer);
    let ms: number;
    try {
      ms = await timeMs(() => r.train(epochs));
    } finally {
      instrumented.restore();
    }
    row.dispatchesPerStep = instrumented.dispatches / (epochs * inp.stepsPerEpoch);
    row.passesPerStep = instrumented.passes / (epochs * inp.stepsPerEpoch);
    if (timer) {
      const t = await timer.read();
      row.gpuMsPerEpoch = t.dropped === 0 ? t.ms / epochs : null;
    }
    return ms;
  } finally {
    timer?.destroy();
  }
}

/** Workloads of at least this much work an epoch get a probe before their row runs. */
const PROBE_MIN_FLOPS = 2e9;
const PROBE_FACTOR = 16;

/**
 * Milliseconds an epoch of a heavy workload should take on this system: one epoch of a 1/16 subsample
 * after one of warm-up, scaled by work (0 when the probe itself fails: the row then runs and says why).
 */
async function probeEpochMs(system: System, variant: string, inp: WorkloadInputs): Promise<number> {
  const small = subsampleInputs(inp, PROBE_FACTOR);
  let run: TrainingRun | null = null;
  try {
    run = await system.start(small, variant);
    await run.prepare(1);
    await run.train(1);
    await run.prepare(1);
    const r = run;
    const ms = await timeMs(() => r.train(1));
    return ms * (inp.flopsPerEpoch / small.flopsPerEpoch);
  } catch {
    return 0;
  } finally {
    run?.dispose();
  }
}

function fmtSeconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toPrecision(3)} s` : `${ms.toPrecision(3)} ms`;
}

export function rowLine(r: Row): string {
  const head = `  ${r.workload} ${r.label} [${r.device}]`;
  if (r.status === 'failed' || r.status === 'skipped') return `${head}: ${r.status.toUpperCase()} ${r.reason}`;
  const t = r.msPerEpoch!;
  const gpu = r.gpuMsPerEpoch !== null ? `, GPU ${r.gpuMsPerEpoch.toPrecision(3)} ms` : '';
  const disp = r.dispatchesPerStep !== null ? `, ${r.dispatchesPerStep.toPrecision(3)} dispatches/step` : '';
  return `${head}: ${t.median.toPrecision(3)} ms/epoch (${t.min.toPrecision(3)}-${t.max.toPrecision(3)}, ${r.repeats}x${r.epochsPerRepeat})${gpu}${disp}; loss ${r.finalLoss?.toPrecision(6)}@${r.checkEpochs} (diff ${r.lossDifference?.toExponential(1)})${r.status === 'mismatch' ? ' MISMATCH' : ''}`;
}

/** The adapter's fixed costs (a no-op dispatch, a submission, the copy bandwidth): what the rows' floors are made of. */
async function deviceCosts(system: WgtrainGpuSystem, quick: boolean, result: BenchResult, log: (line: string) => void): Promise<void> {
  const overhead = await dispatchOverhead(system.ctx, system.device, system.adapterName, quick);
  const copy = overhead.copyGBps ? `, copy ${overhead.copyGBps.median.toFixed(1)} GB/s` : '';
  log(`  no-op dispatch on ${system.device}: ${overhead.perDispatchUs.median.toFixed(1)} us/dispatch, ${overhead.perSubmitUs.median.toFixed(1)} us/submission, ${overhead.roundTripUs.median.toFixed(1)} us/round trip${copy}`);
  result.overhead.push(overhead);
}

async function kernelSuite(system: System, shapes: ShapeInputs[], budget: KernelBudget, result: BenchResult, log: (line: string) => void): Promise<void> {
  if (system instanceof WgtrainCpuSystem) {
    result.kernels.push(...(await cpuKernelRows(system.adapterName, shapes, budget, log)));
  } else if (system instanceof WgtrainGpuSystem) {
    const usable = shapes.filter((s) => !s.shape.hardwareOnly || !system.software);
    result.kernels.push(...(await gpuKernelRows(system.ctx, system.device, system.adapterName, usable, budget, log)));
  } else if (system instanceof TfjsSystem) {
    await system.activate();
    result.kernels.push(...(await tfjsKernelRows(system.tf, system.id, system.device, system.adapterName, system.software, shapes, budget, log)));
  }
}
