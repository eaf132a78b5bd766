// Everything `wgtrain train` writes into its output folder, each file atomically (temporary name, then
// rename), so an interrupted run leaves the old files or complete new ones.

import path from 'node:path';
import type { DataSplit } from '../data/dataset.ts';
import { accuracyCurveSvg, boundaryRaster, confusionMatrixSvg, decisionBoundarySvg, lossCurveSvg, type BoundaryGrid } from '../figures/index.ts';
import { pngDataUri } from '../figures/png.ts';
import { writeFileAtomic } from '../io/atomicWrite.ts';
import { serializeModel } from '../model/modelFile.ts';
import type { EpochRecord } from '../train/metrics.ts';
import type { TrainingResult } from '../train/runTraining.ts';
import { VERSION } from '../version.ts';

/** history.csv: one row per epoch; test columns empty when there is no test set. */
export function historyCsv(history: readonly EpochRecord[]): string {
  const cell = (v: number) => (Number.isNaN(v) ? '' : String(v));
  const rows = history.map((r) => [r.epoch, cell(r.trainLoss), cell(r.trainAccuracy), cell(r.testLoss), cell(r.testAccuracy)].join(','));
  return ['epoch,train_loss,train_accuracy,test_loss,test_accuracy', ...rows].join('\n') + '\n';
}

export function metricsJson(result: TrainingResult, split: DataSplit): string {
  const last = result.history[result.history.length - 1];
  return `${JSON.stringify(
    {
      wgtrain: VERSION,
      backend: result.backend,
      device: result.device,
      notes: result.notes,
      data: { name: split.train.name, trainSize: split.train.size, testSize: split.test.size, inputs: split.train.inputs, classes: split.train.classes },
      layers: result.model.params.spec.layers,
      parameterCount: result.parameterCount,
      epochs: result.history.length,
      wallSeconds: result.wallSeconds,
      epochsPerSecond: result.history.length / Math.max(result.wallSeconds, 1e-9),
      finalEpoch: last ?? null,
      train: result.train,
      test: result.test,
      training: result.model.training,
    },
    (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value),
    2,
  )}\n`;
}

/** The default run folder: runs/PREFIX-DATA-YYYYMMDD-HHMMSS (UTC), the data set's name made path-safe. */
export function defaultRunDir(dataName: string, prefix = ''): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return path.join('runs', `${prefix}${path.basename(dataName).replace(/[^\w.-]+/g, '_')}-${stamp}`);
}

/** Writes files into `outDir` atomically, keeping the list of paths written. */
export function folderWriter(outDir: string): { write(name: string, contents: string): void; written: string[] } {
  const written: string[] = [];
  return {
    write(name, contents) {
      const file = path.join(outDir, name);
      writeFileAtomic(file, contents);
      written.push(file);
    },
    written,
  };
}

/** Writes model.json, metrics.json, history.csv and the figures; returns the paths written. */
export function writeArtifacts(outDir: string, result: TrainingResult, split: DataSplit, grid: BoundaryGrid | null): string[] {
  const { write, written } = folderWriter(outDir);
  const { model } = result;
  write('model.json', serializeModel(model, VERSION));
  write('metrics.json', metricsJson(result, split));
  write('history.csv', historyCsv(result.history));
  if (result.history.length > 0) {
    write('loss-curve.svg', lossCurveSvg(result.history));
    write('accuracy-curve.svg', accuracyCurveSvg(result.history));
  }
  if (result.test.size > 0) write('confusion-matrix.svg', confusionMatrixSvg(result.test, model.classNames, { title: 'Confusion matrix (test set)' }));
  write('confusion-matrix-train.svg', confusionMatrixSvg(result.train, model.classNames, { title: 'Confusion matrix (training set)' }));
  if (grid && result.boundaries[0]) {
    const classes = model.params.spec.layers[model.params.spec.layers.length - 1];
    const rgba = boundaryRaster(grid, result.boundaries[0], classes);
    write('decision-boundary.svg', decisionBoundarySvg(grid, pngDataUri(rgba, grid.width, grid.height), split.train, model.classNames));
  }
  return written;
}
