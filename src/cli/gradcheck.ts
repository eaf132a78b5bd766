// `wgtrain gradcheck`: the backward pass against float64 central finite differences, per layer.

import { Option, type Command } from 'commander';
import { selectSamples } from '../data/dataset.ts';
import { loadData } from '../data/load.ts';
import { applyStandardization } from '../data/standardize.ts';
import { ACTIVATIONS, initParams, parseLayers, type Activation } from '../model/mlp.ts';
import { gradientCheck } from '../train/gradcheck.ts';
import { checkDataFitsModel } from '../train/runTraining.ts';
import { addDataOptions, loadSpecFrom, type DataOptions } from './dataOptions.ts';
import { nonNegativeInt, positiveInt, positiveNumber } from './options.ts';
import { readModelFile } from './train.ts';

interface GradcheckOptions extends DataOptions {
  layers?: string;
  activation: Activation;
  model?: string;
  seed: number;
  samples: number;
  tolerance: number;
}

export function addGradcheckCommand(program: Command): void {
  const command = program.command('gradcheck').description('check the backward pass against float64 finite differences (exit 1 on failure)');
  addDataOptions(command)
    .option('--layers <sizes>', 'layer sizes (default: inputs,12,classes)')
    .addOption(new Option('--activation <name>', 'hidden activation').choices(ACTIVATIONS).default('softplus'))
    .option('--model <model.json>', 'check at these parameters instead of a fresh initialisation')
    .option('--seed <n>', 'seed of the initial parameters', nonNegativeInt, 1)
    .option('--samples <n>', 'training samples the loss is averaged over', positiveInt, 64)
    .option('--tolerance <t>', 'largest relative error per layer that passes', positiveNumber, 1e-6)
    .action(async (opts: GradcheckOptions) => {
      const split = loadData(loadSpecFrom(opts));
      const model = opts.model ? readModelFile(opts.model) : null;
      const layers = opts.layers ? parseLayers(opts.layers) : [split.train.inputs, 12, Math.max(2, split.train.classes)];
      const params = model?.params ?? initParams({ layers, activation: opts.activation }, opts.seed);
      let data = split.train;
      if (model?.standardization) data = applyStandardization(data, model.standardization);
      data = selectSamples(data, Array.from({ length: Math.min(opts.samples, data.size) }, (_, i) => i));
      checkDataFitsModel(data, params.spec, opts.model ?? `--layers ${params.spec.layers.join(',')}`);
      const result = gradientCheck(params, data, { tolerance: opts.tolerance });
      const out = process.stdout;
      out.write(`gradient check of ${params.spec.layers.join('-')} ${params.spec.activation} on ${data.size} samples of ${split.train.name} (float64, central differences)\n`);
      out.write(`${'layer'.padEnd(7)}${'parameters'.padStart(11)}${'relative error'.padStart(16)}${'max abs error'.padStart(15)}\n`);
      for (const c of result.layers) {
        out.write(`${String(c.layer).padEnd(7)}${String(c.parameters).padStart(11)}${c.relativeError.toExponential(2).padStart(16)}${c.maxAbsoluteError.toExponential(2).padStart(15)}\n`);
      }
      out.write(`${result.passed ? 'PASSED' : 'FAILED'}: largest relative error ${result.maxRelativeError.toExponential(2)} (tolerance ${result.tolerance.toExponential(0)})\n`);
      if (!result.passed) process.exitCode = 1;
    });
}
