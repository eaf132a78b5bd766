// `npm run bench [-- options]`: CPU vs GPU vs TensorFlow.js on the four workloads, the two sweeps and the
// kernels alone; and (--suite lr-sweep) a grid of runs by runSweep against the same runs one by one. Prints a table, writes bench.json, results.md and sweeps.svg into --out.
// Also the entry bundled for a GPU machine (../shared/device/pack.sh bench/main.ts): no file reads of
// sources at run time, WGSL comes in through `?raw` imports, TF.js is optional (its rows fail with the
// reason when it is not there).
//
// Exit status: 1 when a row disagrees with the CPU reference, or a wgtrain row failed (TF.js rows that
// cannot run here are reported, not fatal); 2 for bad options.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { derive, jsonReport, markdownReport, sweepsSvg, terminalReport } from './report.ts';
import { GPU_ADAPTERS, runBench, SUITES, type BenchResult, type GpuAdapter, type Suite } from './suite.ts';
import { SYSTEM_IDS, type SystemId } from './systems/system.ts';

function list<T extends string>(allowed: readonly T[], what: string) {
  return (value: string): T[] => {
    const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    const bad = items.filter((s) => !allowed.includes(s as T));
    if (bad.length > 0 || items.length === 0) throw new InvalidArgumentError(`${what}: ${bad.join(', ') || '(empty)'} not among ${allowed.join(', ')}`);
    return items as T[];
  };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`not a positive integer: ${value}`);
  return n;
}

/** Writes every report file into `dir`; returns their paths. */
export function writeReports(result: BenchResult, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    ['bench.json', jsonReport(result)],
    ['results.md', markdownReport(result)],
    ['table.txt', terminalReport(result) + '\n'],
  ];
  if (result.rows.some((r) => r.suite !== 'workloads')) files.push(['sweeps.svg', sweepsSvg(result)]);
  return files.map(([name, content]) => {
    const file = path.join(dir, name);
    // Written aside and renamed over the old file: an interrupted run leaves the old or the whole new one.
    writeFileSync(`${file}.tmp`, content);
    renameSync(`${file}.tmp`, file);
    return file;
  });
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('bench')
    .description('wgtrain benchmarks: CPU reference vs WebGPU vs TensorFlow.js (timings only here, never in tests)')
    .option('--quick', 'CI-sized smoke run (under a minute on 2 cores); checks the agreement column', false)
    .addOption(new Option('--suite <name>', 'what to run').choices([...SUITES, 'all']).default('all'))
    .option('--systems <list>', `comma-separated: ${SYSTEM_IDS.join(', ')}`, list(SYSTEM_IDS, '--systems'), [...SYSTEM_IDS] as SystemId[])
    .option('--adapters <list>', `GPU adapters, comma-separated: ${GPU_ADAPTERS.join(', ')} (those not found are reported)`, list(GPU_ADAPTERS, '--adapters'), [...GPU_ADAPTERS] as GpuAdapter[])
    .option('--only <ids>', 'only these workload ids, e.g. W1,W2,N=1000,H=64', (v: string) => v.split(',').map((s) => s.trim()))
    .option('--repeats <n>', 'timed repeats per row, at most (default 5, quick 3)', positiveInt)
    .option('--out <dir>', 'where bench.json, results.md, table.txt and sweeps.svg go', 'bench/out')
    .option('--from-json <file>', 'run nothing: re-render the reports of an earlier bench.json (e.g. one from a GPU machine)')
    .exitOverride();
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  const o = program.opts<{ quick: boolean; suite: Suite | 'all'; systems: SystemId[]; adapters: GpuAdapter[]; only?: string[]; repeats?: number; out: string; fromJson?: string }>();
  if (o.fromJson) {
    const earlier = derive(JSON.parse(readFileSync(o.fromJson, 'utf8')) as BenchResult);
    console.log(terminalReport(earlier));
    console.log(`\nwrote ${writeReports(earlier, o.out).join(', ')}`);
    return 0;
  }
  const result = derive(
    await runBench({
      quick: o.quick,
      suites: o.suite === 'all' ? SUITES : [o.suite],
      systems: o.systems,
      adapters: o.adapters,
      repeats: o.repeats ?? (o.quick ? 3 : 5),
      only: o.only,
      command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
      log: (line) => console.log(line),
    }),
  );
  console.log('\n' + terminalReport(result));
  const files = writeReports(result, o.out);
  console.log(`\nwrote ${files.join(', ')}`);
  const lrSweepRows = result.lrSweep?.rows ?? [];
  const mismatches = result.rows.filter((r) => r.status === 'mismatch').length + result.kernels.filter((k) => k.status === 'mismatch').length + lrSweepRows.filter((r) => r.status === 'mismatch').length;
  const wgtrainFailures =
    result.rows.filter((r) => r.status === 'failed' && r.system.startsWith('wgtrain') && result.systems.some((s) => s.system === r.system && s.device === r.device && s.started)).length +
    lrSweepRows.filter((r) => r.status === 'failed' && r.adapter !== '').length;
  if (mismatches > 0 || wgtrainFailures > 0) {
    console.error(`bench: ${mismatches} results disagree with their reference, ${wgtrainFailures} wgtrain rows failed`);
    return 1;
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
