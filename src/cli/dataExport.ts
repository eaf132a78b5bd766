// `wgtrain data export NAME --out file.csv`: a data set's training part as file.csv, its test part as
// file.test.csv.

import type { Command } from 'commander';
import { InputError } from '../data/dataset.ts';
import { loadData, splitToCsv, testCsvPath } from '../data/load.ts';
import { writeFileAtomic } from '../io/atomicWrite.ts';
import { addDataOptions, loadSpecFrom, type DataOptions } from './dataOptions.ts';

export function addDataExportCommand(program: Command): void {
  const data = program.command('data').description('data set utilities');
  const command = data
    .command('export')
    .description('write a data set as CSV: training part to --out, test part beside it as NAME.test.csv')
    .argument('<name>', 'a synthetic set name or mnist');
  addDataOptions(command, undefined)
    .requiredOption('--out <file.csv>', 'where to write the training part')
    .action(async (name: string, opts: DataOptions & { out: string }) => {
      if (!/\.csv$/i.test(opts.out)) throw new InputError(`--out ${opts.out}: must end in .csv`);
      const split = loadData(loadSpecFrom({ ...opts, data: name }));
      const csv = splitToCsv(split);
      const testPath = testCsvPath(opts.out);
      writeFileAtomic(opts.out, csv.train);
      writeFileAtomic(testPath, csv.test);
      process.stdout.write(`wrote ${split.train.size} training samples to ${opts.out} and ${split.test.size} test samples to ${testPath}\n`);
    });
  for (const c of [data, command]) c.exitOverride();
}
