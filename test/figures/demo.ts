// A made-up 5-class example for the figure tests and the demo render: blobs in 2D, a fake
// "model" (softmax of negative squared distance to each class centre), a plausible history.

import { makeDataset, type Dataset } from '../../src/data/dataset.ts';
import { makeRng, normal } from '../../src/random.ts';
import { argmaxRow, confusionMatrix, summarize, type EpochRecord, type Evaluation } from '../../src/train/metrics.ts';

export const DEMO_CLASSES = ['circle', 'square <b>', 'A & B', 'tri"angle"', 'a rather long class name'];

const CENTRES: Array<[number, number]> = [
  [0, 0],
  [2.2, 0.6],
  [-1.4, 2],
  [0.8, -2.1],
  [-2.2, -1],
];

export function demoData(perClass = 80, seed = 7): Dataset {
  const rng = makeRng(seed);
  const n = perClass * CENTRES.length;
  const x = new Float32Array(n * 2);
  const y = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % CENTRES.length;
    x[2 * i] = CENTRES[c][0] + 0.75 * normal(rng);
    x[2 * i + 1] = CENTRES[c][1] + 0.75 * normal(rng);
    y[i] = c;
  }
  return makeDataset({ name: 'demo5', inputs: 2, classes: CENTRES.length, classNames: DEMO_CLASSES, x, y });
}

/** probs (rows, 5) of the fake model for (rows, 2) inputs. */
export function demoProbs(inputs: Float32Array): Float32Array {
  const rows = inputs.length / 2;
  const k = CENTRES.length;
  const probs = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const dx = inputs[2 * r] - CENTRES[c][0];
      const dy = inputs[2 * r + 1] - CENTRES[c][1];
      const e = Math.exp(-1.5 * (dx * dx + dy * dy));
      probs[r * k + c] = e;
      sum += e;
    }
    for (let c = 0; c < k; c++) probs[r * k + c] = sum > 0 ? probs[r * k + c] / sum : 1 / k;
  }
  return probs;
}

export function demoEvaluation(data: Dataset): Evaluation {
  const probs = demoProbs(data.x);
  const pred = new Uint32Array(data.size);
  let lossSum = 0;
  for (let i = 0; i < data.size; i++) {
    pred[i] = argmaxRow(probs, i, data.classes);
    lossSum -= Math.log(Math.max(1e-7, probs[i * data.classes + data.y[i]]));
  }
  return summarize(lossSum, confusionMatrix(pred, data.y, data.classes));
}

export function demoHistory(epochs = 300, seed = 3): EpochRecord[] {
  const rng = makeRng(seed);
  const out: EpochRecord[] = [];
  for (let e = 1; e <= epochs; e++) {
    const base = 0.25 + 1.35 * Math.exp(-e / 40);
    const trainLoss = base * (1 + 0.04 * normal(rng));
    const testLoss = base * 1.08 + 0.0006 * e;
    out.push({
      epoch: e,
      trainLoss,
      trainAccuracy: Math.min(1, 0.2 + 0.72 * (1 - Math.exp(-e / 30)) + 0.01 * normal(rng)),
      testLoss,
      testAccuracy: 0.2 + 0.68 * (1 - Math.exp(-e / 30)),
    });
  }
  return out;
}
