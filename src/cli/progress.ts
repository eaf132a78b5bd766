// Training progress on the terminal: a live bar with epoch, loss and speed on a TTY; plain periodic
// lines otherwise (logs, CI), about ten per run.

import cliProgress from 'cli-progress';
import type { EpochRecord } from '../train/metrics.ts';

export interface Progress {
  update(history: readonly EpochRecord[]): void;
  stop(): void;
}

function formatRecord(r: EpochRecord, total: number, epochsPerSecond: string): string {
  const test = Number.isNaN(r.testLoss) ? '' : `  test loss ${r.testLoss.toFixed(4)}  test acc ${(100 * r.testAccuracy).toFixed(1)}%`;
  return `epoch ${r.epoch}/${total}  loss ${r.trainLoss.toFixed(4)}  acc ${(100 * r.trainAccuracy).toFixed(1)}%${test}  ${epochsPerSecond} epochs/s`;
}

export function makeProgress(totalEpochs: number, firstEpoch: number, stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  const started = performance.now();
  const speed = (done: number) => {
    const perSecond = done / Math.max(1e-9, (performance.now() - started) / 1000);
    return perSecond >= 10 ? perSecond.toFixed(0) : perSecond.toPrecision(2);
  };
  if (quiet || totalEpochs === 0) return { update() {}, stop() {} };
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream, format: 'train [{bar}] {percentage}% | epoch {value}/{total} | loss {loss} | acc {acc} | {speed} epochs/s | eta {eta_formatted}', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(totalEpochs, 0, { loss: '-', acc: '-', speed: '-' });
    return {
      update(history) {
        const r = history[history.length - 1];
        if (!r) return;
        bar.update(r.epoch - firstEpoch, { loss: r.trainLoss.toFixed(4), acc: `${(100 * r.trainAccuracy).toFixed(1)}%`, speed: speed(history.length) });
      },
      stop: () => bar.stop(),
    };
  }
  const every = Math.max(1, Math.ceil(totalEpochs / 10));
  let lastPrinted = 0;
  return {
    update(history) {
      const r = history[history.length - 1];
      if (!r) return;
      const done = r.epoch - firstEpoch;
      if (done - lastPrinted >= every || done === totalEpochs) {
        lastPrinted = done;
        stream.write(`${formatRecord(r, firstEpoch + totalEpochs, speed(history.length))}\n`);
      }
    },
    stop() {},
  };
}
