// The `wgtrain` command: a thin layer over the library. Every error that comes from the user's input is
// one line naming what was wrong and where, with a non-zero exit status.

import { Command, CommanderError } from 'commander';
import { InputError } from '../data/dataset.ts';
import { GpuDeviceLostError, GpuValidationError, NoGpuError } from '../gpu/device.ts';
import { PlanError } from '../gpu/plan.ts';
import { ModelError } from '../model/mlp.ts';
import { ModelFileError } from '../model/modelFile.ts';
import { VERSION } from '../version.ts';
import { addDataExportCommand } from './dataExport.ts';
import { addDevicesCommand } from './devices.ts';
import { addEvalCommand } from './evaluate.ts';
import { addGradcheckCommand } from './gradcheck.ts';
import { addSweepCommand } from './sweep.ts';
import { addTrainCommand } from './train.ts';

/** Errors whose message is the whole story for the user (no stack trace). */
const USER_ERRORS = [InputError, ModelError, ModelFileError, NoGpuError, GpuDeviceLostError, GpuValidationError, PlanError];

export function buildProgram(): Command {
  const program = new Command('wgtrain')
    .description('Train MLP classifiers on the GPU (WebGPU) with a CPU reference that proves it right.')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  addTrainCommand(program);
  addSweepCommand(program);
  addEvalCommand(program);
  addGradcheckCommand(program);
  addDataExportCommand(program);
  addDevicesCommand(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the CLI; returns the exit status instead of exiting, for tests. */
export async function runCli(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (USER_ERRORS.some((type) => error instanceof type)) {
      process.stderr.write(`wgtrain: error: ${(error as Error).message}\n`);
      return 1;
    }
    throw error;
  }
}
