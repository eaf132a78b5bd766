// `wgtrain eval`: a saved model on a data set: accuracy, cross-entropy, confusion matrix, precision, recall.

import { Option, type Command } from 'commander';
import { DEFAULT_OPTIMIZER } from '../cpu/optimizer.ts';
import { InputError, type Dataset } from '../data/dataset.ts';
import { loadData, readDataFile } from '../data/load.ts';
import { applyStandardization } from '../data/standardize.ts';
import { acquireNodeGpu, ADAPTER_CHOICES, type AdapterChoice } from '../gpu/nodeGpu.ts';
import { BACKEND_CHOICES, createTrainer, type BackendChoice } from '../train/backend.ts';
import type { Evaluation } from '../train/metrics.ts';
import { checkDataFitsModel } from '../train/runTraining.ts';
import { addDataOptions, loadSpecFrom, type DataOptions } from './dataOptions.ts';
import { readModelFile } from './train.ts';
import type { Model } from '../model/modelFile.ts';

interface EvalOptions extends DataOptions {
  model: string;
  backend: BackendChoice;
  adapter: AdapterChoice;
  json?: boolean;
}

/** The confusion matrix and per-class precision/recall as an aligned text table. */
export function formatEvaluation(title: string, e: Evaluation, classNames: readonly string[]): string {
  const pct = (v: number) => (Number.isNaN(v) ? '-' : `${(100 * v).toFixed(1)}%`);
  const names = classNames.map(String);
  const width = Math.max(6, ...names.map((n) => n.length), ...e.confusion.flat().map((v) => String(v).length)) + 1;
  const pad = (s: string) => s.padStart(width);
  const lines = [
    `${title}: ${e.size} samples, accuracy ${pct(e.accuracy)}, cross-entropy ${e.loss.toFixed(4)}`,
    `${pad('true\\pred')}${names.map(pad).join('')}${pad('recall')}`,
    ...e.confusion.map((row, c) => `${pad(names[c])}${row.map((v) => pad(String(v))).join('')}${pad(pct(e.recall[c]))}`),
    `${pad('precision')}${e.precision.map((p) => pad(pct(p))).join('')}`,
  ];
  return lines.join('\n');
}

/** Evaluates a model on each data set on the requested backend. */
export async function evaluateModel(model: Model, sets: Dataset[], backend: BackendChoice, adapter: AdapterChoice): Promise<{ evaluations: Evaluation[]; note: string }> {
  const standardized = sets.map((d) => (model.standardization ? applyStandardization(d, model.standardization) : d));
  const handle = await createTrainer(
    { params: model.params, train: standardized[0], optimizer: DEFAULT_OPTIMIZER, batchSize: 0, shuffleSeed: 0 },
    { backend, acquireGpu: () => acquireNodeGpu(adapter) },
  );
  try {
    const evaluations: Evaluation[] = [];
    for (const d of standardized) evaluations.push(await handle.trainer.evaluate(d));
    return { evaluations, note: handle.note };
  } finally {
    handle.release();
  }
}

export function addEvalCommand(program: Command): void {
  const command = program.command('eval').description('evaluate a model.json on a data set (a whole file, or both sides of a generated split)');
  addDataOptions(command, undefined)
    .requiredOption('--model <model.json>', 'the model to evaluate')
    .addOption(new Option('--backend <name>', 'where evaluation runs').choices(BACKEND_CHOICES).default('cpu'))
    .addOption(new Option('--adapter <name>', 'GPU adapter').choices(ADAPTER_CHOICES).default('auto'))
    .option('--json', 'print the evaluations as JSON')
    .action(async (opts: EvalOptions) => {
      const model = readModelFile(opts.model);
      if (!opts.data) throw new InputError('eval: --data is required (a data set name or a .csv/.json file)');
      const isFile = /\.(csv|json)$/i.test(opts.data);
      let sets: Dataset[];
      if (isFile) {
        sets = [readDataFile(opts.data, opts.classes)];
        if (opts.test) sets.push(readDataFile(opts.test, opts.classes));
      } else {
        const split = loadData(loadSpecFrom(opts));
        sets = [split.train, split.test].filter((d) => d.size > 0);
      }
      for (const d of sets) checkDataFitsModel(d, model.params.spec, opts.model);
      const { evaluations, note } = await evaluateModel(model, sets, opts.backend, opts.adapter);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(sets.map((d, i) => ({ data: d.name, ...evaluations[i] })), null, 2)}\n`);
        return;
      }
      process.stdout.write(`${note}\n`);
      sets.forEach((d, i) => process.stdout.write(`${formatEvaluation(d.name, evaluations[i], model.classNames)}\n`));
    });
}
