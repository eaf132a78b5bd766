// The training history as columns (what the charts draw), appended one train() chunk at a time.

import type { EpochRecord } from '../train/metrics.ts';

export class History {
  /** epoch (n), 1-based, continuing from a loaded model's epochs. */
  readonly epoch: number[] = [];
  readonly trainLoss: number[] = [];
  readonly trainAccuracy: number[] = [];
  readonly testLoss: number[] = [];
  readonly testAccuracy: number[] = [];

  get length(): number {
    return this.epoch.length;
  }

  append(records: readonly EpochRecord[]): void {
    for (const r of records) {
      this.epoch.push(r.epoch);
      this.trainLoss.push(r.trainLoss);
      this.trainAccuracy.push(r.trainAccuracy);
      this.testLoss.push(r.testLoss);
      this.testAccuracy.push(r.testAccuracy);
    }
  }

  /** Drops the records after `epochsDone` (epochs lost with a GPU device, trained again elsewhere). */
  truncate(epochsDone: number): void {
    let n = this.length;
    while (n > 0 && this.epoch[n - 1] > epochsDone) n--;
    for (const column of [this.epoch, this.trainLoss, this.trainAccuracy, this.testLoss, this.testAccuracy]) column.length = n;
  }

  last(): EpochRecord | null {
    const i = this.length - 1;
    if (i < 0) return null;
    return { epoch: this.epoch[i], trainLoss: this.trainLoss[i], trainAccuracy: this.trainAccuracy[i], testLoss: this.testLoss[i], testAccuracy: this.testAccuracy[i] };
  }

  /**
   * The columns with at most `maxPoints` rows: every row when short enough, else an even stride that
   * always keeps the first and the last epoch. [epoch, trainLoss, testLoss, trainAccuracy, testAccuracy].
   */
  columns(maxPoints: number): [number[], number[], number[], number[], number[]] {
    const all = [this.epoch, this.trainLoss, this.testLoss, this.trainAccuracy, this.testAccuracy];
    const rows = strideRows(this.length, maxPoints);
    return all.map((c) => rows.map((i) => c[i])) as [number[], number[], number[], number[], number[]];
  }
}

/** Row indices of `n` rows, at most `maxPoints`: all of them, or an even stride keeping the first and the last. */
export function strideRows(n: number, maxPoints: number): number[] {
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const stride = Math.ceil(n / (maxPoints - 1));
  const rows: number[] = [];
  for (let i = 0; i < n - 1; i += stride) rows.push(i);
  rows.push(n - 1);
  return rows;
}
