// model.json: the one model format shared by the CLI, the browser app and the library. Weights are
// nested as the assignment writes them, W(l)[output][input]; float32 values are written as the shortest
// decimal that reads back to the same float32, so a save/load round trip is exact.

import { z } from 'zod';
import { ACTIVATIONS, parameterCount, validateSpec, type MlpParams, type MlpSpec } from './mlp.ts';
import { formatFloat32 } from '../data/csv.ts';
import type { Standardization } from '../data/standardize.ts';

export const MODEL_FORMAT = 'wgtrain-model';
export const MODEL_FORMAT_VERSION = 1;

/** A trained model: architecture, parameters and what is needed to use it on raw inputs. */
export interface Model {
  params: MlpParams;
  classNames: string[];
  /** Applied to raw inputs before the network when present (fitted on the training data). */
  standardization: Standardization | null;
  /** How the model was trained (free-form record of the configuration). */
  training: Record<string, unknown>;
}

const finite = z.number().refine(Number.isFinite, 'expected a finite number');

const modelSchema = z
  .object({
    format: z.literal(MODEL_FORMAT),
    version: z.literal(MODEL_FORMAT_VERSION),
    layers: z.array(z.number().int().positive()).min(2),
    activation: z.enum(ACTIVATIONS),
    output: z.literal('softmax'),
    parameterCount: z.number().int().optional(),
    weights: z.array(z.array(z.array(finite))),
    biases: z.array(z.array(finite)),
    classNames: z.array(z.string()),
    standardization: z.object({ mean: z.array(finite), std: z.array(finite.refine((v) => v > 0, 'expected a positive number')) }).nullable(),
    training: z.record(z.string(), z.unknown()).default({}),
    wgtrain: z.string().optional(),
  })
  .superRefine((m, ctx) => {
    const L = m.layers.length - 1;
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (m.weights.length !== L) return issue(['weights'], `expected ${L} weight matrices for layers [${m.layers}], got ${m.weights.length}`);
    if (m.biases.length !== L) return issue(['biases'], `expected ${L} bias vectors for layers [${m.layers}], got ${m.biases.length}`);
    for (let l = 0; l < L; l++) {
      const [inSize, outSize] = [m.layers[l], m.layers[l + 1]];
      if (m.weights[l].length !== outSize) return issue(['weights', l], `expected ${outSize} rows (outputs), got ${m.weights[l].length}`);
      const badRow = m.weights[l].findIndex((row) => row.length !== inSize);
      if (badRow >= 0) return issue(['weights', l, badRow], `expected ${inSize} columns (inputs), got ${m.weights[l][badRow].length}`);
      if (m.biases[l].length !== outSize) return issue(['biases', l], `expected ${outSize} entries, got ${m.biases[l].length}`);
    }
    const classes = m.layers[L];
    if (m.classNames.length !== classes) issue(['classNames'], `expected ${classes} class names, got ${m.classNames.length}`);
    if (m.standardization) {
      for (const key of ['mean', 'std'] as const) {
        if (m.standardization[key].length !== m.layers[0]) {
          issue(['standardization', key], `expected ${m.layers[0]} entries (one per input), got ${m.standardization[key].length}`);
        }
      }
    }
    if (m.parameterCount !== undefined && m.parameterCount !== parameterCount({ layers: m.layers, activation: m.activation })) {
      issue(['parameterCount'], `says ${m.parameterCount}, but layers [${m.layers}] have ${parameterCount({ layers: m.layers, activation: m.activation })}`);
    }
  });

export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
}

/** model.json text for a model. */
export function serializeModel(model: Model, wgtrainVersion: string): string {
  const { spec, weights, biases } = model.params;
  const row = (a: ArrayLike<number>) => `[${Array.from(a, formatFloat32).join(', ')}]`;
  const matrix = (w: Float32Array, outSize: number, inSize: number) =>
    `[\n      ${Array.from({ length: outSize }, (_, o) => row(w.subarray(o * inSize, (o + 1) * inSize))).join(',\n      ')}\n    ]`;
  const header = {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    layers: spec.layers,
    activation: spec.activation,
    output: 'softmax',
    parameterCount: parameterCount(spec),
    classNames: model.classNames,
    standardization: model.standardization,
    training: model.training,
    wgtrain: wgtrainVersion,
  };
  const head = JSON.stringify(header, null, 2).slice(0, -2);
  const w = weights.map((x, l) => matrix(x, spec.layers[l + 1], spec.layers[l])).join(',\n    ');
  const b = biases.map((x) => row(x)).join(',\n    ');
  return `${head},\n  "weights": [\n    ${w}\n  ],\n  "biases": [\n    ${b}\n  ]\n}\n`;
}

/** Parses and validates model.json text; errors name the file and the path of the first problem. */
export function parseModel(text: string, source: string): Model {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ModelFileError(`${source}: not valid JSON: ${(error as Error).message}`);
  }
  const result = modelSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.length > 0 ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '(top level)';
    throw new ModelFileError(`${source}: ${where}: ${issue.message}`);
  }
  const m = result.data;
  const spec: MlpSpec = { layers: m.layers, activation: m.activation };
  validateSpec(spec);
  return {
    params: {
      spec,
      weights: m.weights.map((rows) => Float32Array.from(rows.flat())),
      biases: m.biases.map((b) => Float32Array.from(b)),
    },
    classNames: m.classNames,
    standardization: m.standardization,
    training: m.training,
  };
}
