// JSON data files: {"x": number[][], "y": number[], "classNames"?: string[]}.
// Every error is an InputError with a one-line message naming the file and the path inside it.

import { z } from 'zod';
import { type Dataset, InputError, makeDataset } from './dataset.ts';
import { type ParseOptions, isLabelValue, labelBound, labelBoundProblem } from './labels.ts';

/** A JSON value as shown after "got" in a message, on one line. */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  return typeof value === 'object' ? 'an object' : String(value);
}

const finiteError = (issue: { input?: unknown }) => `expected a finite number, got ${describe(issue.input)}`;
const labelError = (issue: { input?: unknown }) => `expected a non-negative integer label, got ${describe(issue.input)}`;

const dataFile = z.strictObject(
  {
    x: z.array(z.array(z.number({ error: finiteError }), { error: 'expected an array of numbers' }), {
      error: 'expected an array of samples, each an array of numbers',
    }),
    y: z.array(z.number({ error: labelError }).refine(isLabelValue, { error: labelError }), {
      error: 'expected an array of labels',
    }),
    classNames: z
      .array(z.string({ error: 'expected a string' }), { error: 'expected an array of strings' })
      .min(1, { error: 'expected at least one class name' })
      .optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unexpected key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; expected only x, y and classNames`
        : 'expected an object {"x": number[][], "y": number[], "classNames"?: string[]}',
  },
);

/** A zod issue path as written in messages: ["x", 3, 1] -> "x[3][1]". */
function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('');
}

/**
 * Parses a JSON data file into a Dataset named `source`. x (samples, inputs) must be a non-empty
 * rectangular array of finite numbers (stored as float32), y one label per sample with the CSV rules
 * (non-negative integers below options.classes when given). classNames, when present, fixes the number
 * of classes and names them.
 */
export function parseJsonData(text: string, source: string, options: ParseOptions = {}): Dataset {
  const bound = labelBound(source, options.classes);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${source}: not valid JSON: ${(e as Error).message.replace(/\s+/g, ' ')}`);
  }
  const parsed = dataFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = formatPath(issue.path);
    throw new InputError(`${source}: ${where ? `${where}: ` : ''}${issue.message.replace(/\s+/g, ' ')}`);
  }
  const { x: rows, y: labels, classNames } = parsed.data;

  if (rows.length === 0) throw new InputError(`${source}: x: no samples`);
  const inputs = rows[0].length;
  if (inputs === 0) throw new InputError(`${source}: x[0]: no values; every sample needs at least one input`);
  if (rows.length !== labels.length) {
    throw new InputError(`${source}: x has ${rows.length} samples but y has ${labels.length} labels`);
  }
  const x = new Float32Array(rows.length * inputs); // (samples, inputs)
  rows.forEach((row, i) => {
    if (row.length !== inputs) throw new InputError(`${source}: x[${i}]: ${row.length} values, expected ${inputs} like x[0]`);
    row.forEach((v, j) => {
      if (!Number.isFinite(Math.fround(v))) throw new InputError(`${source}: x[${i}][${j}]: ${v} is outside the float32 range`);
    });
    x.set(row, i * inputs);
  });

  if (classNames && options.classes !== undefined && classNames.length !== options.classes) {
    throw new InputError(`${source}: classNames: ${classNames.length} names, but classes = ${options.classes}`);
  }
  const declared = options.classes ?? classNames?.length;
  const limit = declared === undefined ? bound : labelBound(source, declared);
  labels.forEach((label, i) => {
    if (label >= limit) throw new InputError(`${source}: y[${i}]: ${labelBoundProblem(label, limit, declared !== undefined)}`);
  });
  return makeDataset({
    name: source,
    inputs,
    classes: declared ?? labels.reduce((a, b) => Math.max(a, b), 0) + 1,
    classNames,
    x,
    y: Uint32Array.from(labels),
  });
}
