// Classification metrics from per-sample predictions: accuracy, mean cross-entropy, confusion matrix,
// per-class precision and recall. Backends produce the raw counts; this file turns them into a report.

/** One row of the training history (history.csv). */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean cross-entropy over the epoch's training samples, each taken before its batch's update. */
  trainLoss: number;
  /** Fraction of training samples classified right, from the same forward passes. */
  trainAccuracy: number;
  /** Mean cross-entropy on the test set after the epoch (NaN when there is no test set). */
  testLoss: number;
  /** Test accuracy after the epoch (NaN when there is no test set). */
  testAccuracy: number;
}

/** The evaluation of a model on one data set. */
export interface Evaluation {
  size: number;
  /** Mean cross-entropy. */
  loss: number;
  accuracy: number;
  /** confusion[trueClass][predictedClass] = count. */
  confusion: number[][];
  /** precision[c] = TP / (TP + FP); NaN when nothing was predicted as c. */
  precision: number[];
  /** recall[c] = TP / (TP + FN); NaN when class c has no samples. */
  recall: number[];
}

/** Index of the largest value in probs[row*classes .. +classes]; the first one on ties. */
export function argmaxRow(probs: ArrayLike<number>, row: number, classes: number): number {
  let best = 0;
  let bestValue = probs[row * classes];
  for (let c = 1; c < classes; c++) {
    const v = probs[row * classes + c];
    if (v > bestValue) {
      bestValue = v;
      best = c;
    }
  }
  return best;
}

/** confusion[true][predicted] counts. */
export function confusionMatrix(predicted: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]][predicted[i]]++;
  return m;
}

/** The full report from a summed loss and a confusion matrix. */
export function summarize(lossSum: number, confusion: number[][]): Evaluation {
  const classes = confusion.length;
  let size = 0;
  let correct = 0;
  const precision: number[] = [];
  const recall: number[] = [];
  for (let c = 0; c < classes; c++) {
    let rowSum = 0;
    let colSum = 0;
    for (let k = 0; k < classes; k++) {
      rowSum += confusion[c][k];
      colSum += confusion[k][c];
    }
    size += rowSum;
    correct += confusion[c][c];
    precision.push(colSum === 0 ? NaN : confusion[c][c] / colSum);
    recall.push(rowSum === 0 ? NaN : confusion[c][c] / rowSum);
  }
  return {
    size,
    loss: size === 0 ? NaN : lossSum / size,
    accuracy: size === 0 ? NaN : correct / size,
    confusion,
    precision,
    recall,
  };
}
