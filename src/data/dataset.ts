// A labelled data set held as flat typed arrays, the layout every backend consumes directly.
// x (size, inputs) row-major float32; y (size) class indices in [0, classes).

export interface Dataset {
  /** Where the data came from, for messages and metrics ("rings5", "train.csv", ...). */
  readonly name: string;
  /** Number of samples. */
  readonly size: number;
  /** Features per sample. */
  readonly inputs: number;
  /** Number of classes; every label is below it. */
  readonly classes: number;
  /** One name per class ("0".."4" unless the source names them). */
  readonly classNames: readonly string[];
  /** x (size, inputs), row-major. */
  readonly x: Float32Array;
  /** y (size), class index per sample. */
  readonly y: Uint32Array;
}

/** A training set and the test set it is evaluated on (same inputs and classes). */
export interface DataSplit {
  readonly train: Dataset;
  readonly test: Dataset;
}

/** Thrown for any bad input: the message names the source (file, line, field) and what was wrong. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** Builds a Dataset after checking that the arrays agree with the stated sizes and every label is valid. */
export function makeDataset(fields: {
  name: string;
  inputs: number;
  classes: number;
  classNames?: readonly string[];
  x: Float32Array;
  y: Uint32Array;
}): Dataset {
  const { name, inputs, classes, x, y } = fields;
  const size = y.length;
  if (!Number.isInteger(inputs) || inputs < 1) throw new InputError(`${name}: inputs must be a positive integer, got ${inputs}`);
  if (!Number.isInteger(classes) || classes < 1) throw new InputError(`${name}: classes must be a positive integer, got ${classes}`);
  if (x.length !== size * inputs) {
    throw new InputError(`${name}: x has ${x.length} values, expected ${size} samples x ${inputs} inputs = ${size * inputs}`);
  }
  for (let i = 0; i < size; i++) {
    if (y[i] >= classes) throw new InputError(`${name}: sample ${i} has label ${y[i]}, not below the ${classes} classes`);
  }
  const classNames = fields.classNames ?? Array.from({ length: classes }, (_, c) => String(c));
  if (classNames.length !== classes) {
    throw new InputError(`${name}: ${classNames.length} class names for ${classes} classes`);
  }
  return { name, size, inputs, classes, classNames, x, y };
}

/** The samples at the given indices, in that order, as a new Dataset. */
export function selectSamples(data: Dataset, indices: ArrayLike<number>, name = data.name): Dataset {
  const x = new Float32Array(indices.length * data.inputs);
  const y = new Uint32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    x.set(data.x.subarray(i * data.inputs, (i + 1) * data.inputs), k * data.inputs);
    y[k] = data.y[i];
  }
  return { ...data, name, size: indices.length, x, y };
}
