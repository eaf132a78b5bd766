// `wgtrain devices`: which WebGPU adapters this machine offers, as --adapter names them.

import type { Command } from 'commander';
import { listNodeAdapters } from '../gpu/nodeGpu.ts';

export function addDevicesCommand(program: Command): void {
  program
    .command('devices')
    .description('list the WebGPU adapters found (hardware, SwiftShader, llvmpipe)')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const reports = await listNodeAdapters();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
        return;
      }
      for (const r of reports) {
        if (!r.found) {
          process.stdout.write(`${r.choice.padEnd(12)} not found\n`);
          continue;
        }
        const traits = [r.featureLevel, r.software ? 'software (CPU-emulated)' : 'hardware', r.timestampQuery ? 'timestamp queries' : 'no timestamp queries'];
        process.stdout.write(`${r.choice.padEnd(12)} ${r.name}\n${''.padEnd(13)}${traits.join(', ')}, max storage binding ${(r.maxStorageBufferBindingSize! / 2 ** 20).toFixed(0)} MiB\n`);
      }
    });
}
