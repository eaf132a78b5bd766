// Gradient check: the backward pass (float64) against central finite differences of the mean
// cross-entropy, over every parameter, reported per layer as a relative error.

import type { Dataset } from '../data/dataset.ts';
import { forward, forwardBackward, makeWorkspace } from '../cpu/network.ts';
import { softmaxCrossEntropy } from '../cpu/softmaxCrossEntropy.ts';
import { layerCount, toFloat64, zerosLike, type FloatArray, type MlpParams } from '../model/mlp.ts';

export interface LayerCheck {
  /** 0-based layer index: W(layer), b(layer). */
  layer: number;
  parameters: number;
  /** ‖analytic − numeric‖ / sqrt(‖analytic‖² + ‖numeric‖²) over W and b of the layer together. */
  relativeError: number;
  /** Largest |analytic - numeric| of one parameter. */
  maxAbsoluteError: number;
}

export interface GradCheckResult {
  layers: LayerCheck[];
  maxRelativeError: number;
  tolerance: number;
  passed: boolean;
}

/**
 * Checks the gradient of the mean loss over `data` at `params`. Central differences with step h have
 * truncation error O(h^2) and rounding error O(1e-16 / h); h = 1e-5 keeps both near 1e-10, so a correct
 * backward pass gives relative errors around 1e-8 or below and the default tolerance 1e-6 has margin.
 */
export function gradientCheck(
  params: MlpParams<FloatArray>,
  data: Dataset,
  { step = 1e-5, tolerance = 1e-6 }: { step?: number; tolerance?: number } = {},
): GradCheckResult {
  const p = toFloat64(params);
  const n = data.size;
  const x = Float64Array.from(data.x);
  const ws = makeWorkspace(p, n, (k) => new Float64Array(k));
  const grads = zerosLike(p.spec, (k) => new Float64Array(k));
  forwardBackward(p, grads, ws, x, data.y, n);

  const last = layerCount(p.spec) - 1;
  const classes = p.spec.layers[last + 1];
  const meanLoss = (): number => {
    forward(p, ws, x, n);
    softmaxCrossEntropy(ws.loss, ws.dZ[last], ws.predicted, ws.z[last], data.y, n, classes, 1);
    let sum = 0;
    for (let s = 0; s < n; s++) sum += ws.loss[s];
    return sum / n;
  };

  const layers: LayerCheck[] = [];
  for (let l = 0; l <= last; l++) {
    let diff2 = 0;
    let norm2 = 0;
    let maxAbs = 0;
    for (const [values, analytic] of [
      [p.weights[l], grads.weights[l]],
      [p.biases[l], grads.biases[l]],
    ] as const) {
      for (let i = 0; i < values.length; i++) {
        const saved = values[i];
        values[i] = saved + step;
        const plus = meanLoss();
        values[i] = saved - step;
        const minus = meanLoss();
        values[i] = saved;
        const numeric = (plus - minus) / (2 * step);
        const d = analytic[i] - numeric;
        diff2 += d * d;
        norm2 += analytic[i] * analytic[i] + numeric * numeric;
        maxAbs = Math.max(maxAbs, Math.abs(d));
      }
    }
    const scale = Math.max(Math.sqrt(norm2), 1e-30);
    layers.push({ layer: l, parameters: p.weights[l].length + p.biases[l].length, relativeError: Math.sqrt(diff2) / scale, maxAbsoluteError: maxAbs });
  }
  const maxRelativeError = Math.max(...layers.map((c) => c.relativeError));
  return { layers, maxRelativeError, tolerance, passed: maxRelativeError <= tolerance };
}
