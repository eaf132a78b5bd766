// CSV data files: one sample per line, "x1,...,xd,label", with an optional header line.
// Every error is an InputError with a one-line message naming the file, the line and the field.

import { type Dataset, InputError, makeDataset } from './dataset.ts';
import { type ParseOptions, isLabelValue, labelBound, labelBoundProblem } from './labels.ts';

/** A decimal number as written by people and by toCsv: "3", "-0.5", ".5", "1e-7", "2.5E+3". */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** Spellings of non-finite values: numeric in intent (so not a header), rejected as data. */
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

/** A field as quoted in a message: JSON-escaped (so it stays on one line), long ones cut. */
function quote(field: string): string {
  return JSON.stringify(field.length > 40 ? `${field.slice(0, 40)}...` : field);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Parses CSV text into a Dataset named `source` (the file name, used in every message).
 *
 * Format: `x1,...,xd,label`, one sample per line, at least one input. The first non-blank line is a header
 * when its last field, the label column's name, is not a number (so a typo among the inputs of the first
 * row is reported, not taken for a header); the header's names only serve error messages. Blank lines are
 * ignored, `\r\n` is accepted, whitespace around fields is trimmed. Inputs must be finite float32 values;
 * labels non-negative integers, below options.classes when given (else classes = largest label + 1).
 */
export function parseCsv(text: string, source: string, options: ParseOptions = {}): Dataset {
  const bound = labelBound(source, options.classes);
  const lines = text.split(/\r?\n/);
  let header: string[] | undefined;
  let width = 0; // fields per line, fixed by the first non-blank line
  let widthLine = 0;
  const values: number[] = []; // x (size, width - 1), row-major
  const labels: number[] = []; // y (size)
  let maxLabel = 0;

  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const lineNo = i + 1;
    const fields = lines[i].split(',').map((f) => f.trim());
    if (width === 0) {
      if (fields.length < 2) {
        throw new InputError(`${source} line ${lineNo}: only 1 field; expected inputs and a label, x1,...,xd,label`);
      }
      width = fields.length;
      widthLine = lineNo;
      const last = fields[width - 1];
      if (!NUMBER.test(last) && !NON_FINITE.test(last)) {
        header = fields;
        continue;
      }
    } else if (fields.length !== width) {
      throw new InputError(`${source} line ${lineNo}: ${plural(fields.length, 'field')}, expected ${width} like line ${widthLine}`);
    }

    const fail = (column: number, problem: string): never => {
      const name = header?.[column]; // column is 0-based here, 1-based in the message
      throw new InputError(`${source} line ${lineNo}, field ${column + 1}${name ? ` (${name})` : ''}: ${problem}`);
    };
    for (let j = 0; j < width - 1; j++) {
      const f = fields[j];
      if (f === '') fail(j, 'empty, expected a number');
      if (NON_FINITE.test(f)) fail(j, `${quote(f)} is not a finite number`);
      if (!NUMBER.test(f)) fail(j, `${quote(f)} is not a number`);
      const v = Number(f);
      if (!Number.isFinite(Math.fround(v))) fail(j, `${quote(f)} is outside the float32 range`);
      values.push(v);
    }
    const f = fields[width - 1];
    const label = NUMBER.test(f) ? Number(f) : NaN;
    if (!isLabelValue(label)) fail(width - 1, `${quote(f)} is not a non-negative integer label`);
    if (label >= bound) fail(width - 1, labelBoundProblem(label, bound, options.classes !== undefined));
    labels.push(label);
    maxLabel = Math.max(maxLabel, label);
  }

  if (labels.length === 0) {
    throw new InputError(header ? `${source}: only a header line, no data rows` : `${source}: empty file, no data rows`);
  }
  return makeDataset({
    name: source,
    inputs: width - 1,
    classes: options.classes ?? maxLabel + 1,
    x: Float32Array.from(values),
    y: Uint32Array.from(labels),
  });
}

/**
 * The shortest decimal that reads back as exactly the float32 value v ("0.1" for Math.fround(0.1)),
 * "-0" for negative zero.
 */
export function formatFloat32(v: number): string {
  if (Object.is(v, -0)) return '-0';
  for (let digits = 1; digits < 9; digits++) {
    const s = Number(v.toPrecision(digits));
    if (Math.fround(s) === v) return String(s);
  }
  return String(Number(v.toPrecision(9))); // 9 significant digits always identify a float32
}

/**
 * The data set as CSV text that parseCsv reads back to identical bytes: `x1,...,xd,label` per line,
 * with that header line unless header is false, and a final newline. Class names are not kept.
 */
export function toCsv(data: Dataset, header = true): string {
  const lines: string[] = [];
  if (header) lines.push([...Array.from({ length: data.inputs }, (_, j) => `x${j + 1}`), 'label'].join(','));
  const row = new Array<string>(data.inputs + 1);
  for (let i = 0; i < data.size; i++) {
    for (let j = 0; j < data.inputs; j++) row[j] = formatFloat32(data.x[i * data.inputs + j]);
    row[data.inputs] = String(data.y[i]);
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
}
