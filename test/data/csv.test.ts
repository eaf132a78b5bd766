import { describe, expect, it } from 'vitest';
import { InputError, formatFloat32, makeDataset, parseCsv, rings5, toCsv } from '../../src/data/index.ts';

/** The InputError parseCsv throws for text, with its message. */
function csvError(text: string, options?: { classes?: number }): string {
  try {
    parseCsv(text, 'train.csv', options);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    const message = (e as Error).message;
    expect(message).not.toMatch(/\n/);
    return message;
  }
  throw new Error('parseCsv accepted bad input');
}

describe('parseCsv', () => {
  it('reads rows of inputs and a label', () => {
    const d = parseCsv('1,2,0\n-0.5,1e-3,2\n', 'a.csv');
    expect(d).toMatchObject({ name: 'a.csv', size: 2, inputs: 2, classes: 3, classNames: ['0', '1', '2'] });
    expect(Array.from(d.x)).toEqual([1, 2, -0.5, Math.fround(1e-3)]);
    expect(Array.from(d.y)).toEqual([0, 2]);
  });

  it('detects a header, skips blank lines, tolerates CRLF and whitespace', () => {
    const d = parseCsv('\r\n  x1 , x2 ,class\r\n\r\n 1 , 2 , 1 \r\n3,4,0\r\n\r\n\r\n', 'a.csv');
    expect(d).toMatchObject({ size: 2, inputs: 2, classes: 2 });
    expect(Array.from(d.x)).toEqual([1, 2, 3, 4]);
    expect(Array.from(d.y)).toEqual([1, 0]);
  });

  it('takes a first line for a header only when its label field is not a number', () => {
    expect(parseCsv('5,6,1\n', 'a.csv').size).toBe(1);
    expect(parseCsv('5,6,label\n5,6,1\n', 'a.csv').size).toBe(1);
    expect(csvError('1,abc,0\n1,2,0\n')).toBe('train.csv line 1, field 2: "abc" is not a number');
  });

  it('uses options.classes when given', () => {
    expect(parseCsv('1,0\n2,1\n', 'a.csv', { classes: 4 }).classes).toBe(4);
  });

  it('round-trips exactly through toCsv, with and without header', () => {
    const x = new Float32Array([0.1, -0, 1e-30, 3.4e38, -1.5, 16777217, 1 / 3, 2 ** -149, -123456.789, 0]);
    const original = makeDataset({ name: 'r.csv', inputs: 5, classes: 7, x, y: new Uint32Array([6, 0]) });
    for (const header of [true, false]) {
      const back = parseCsv(toCsv(original, header), 'r.csv');
      expect(Buffer.from(back.x.buffer).equals(Buffer.from(x.buffer))).toBe(true);
      expect(Array.from(back.y)).toEqual([6, 0]);
    }
    const random = rings5({ size: 300, noise: 1, seed: 5 });
    const back = parseCsv(toCsv(random), 'rings5.csv');
    expect(Buffer.from(back.x.buffer).equals(Buffer.from(random.x.buffer))).toBe(true);
    expect(Buffer.from(back.y.buffer).equals(Buffer.from(random.y.buffer))).toBe(true);
  });

  it('writes the header x1,...,xd,label and short numbers', () => {
    const d = makeDataset({ name: 'd', inputs: 2, classes: 2, x: new Float32Array([0.1, 2]), y: new Uint32Array([1]) });
    expect(toCsv(d)).toBe('x1,x2,label\n0.1,2,1\n');
    expect(toCsv(d, false)).toBe('0.1,2,1\n');
    expect(formatFloat32(Math.fround(0.3))).toBe('0.3');
    expect(formatFloat32(-0)).toBe('-0');
  });
});

describe('parseCsv errors name the file, the line and the field', () => {
  it('empty file, or only a header', () => {
    expect(csvError('')).toBe('train.csv: empty file, no data rows');
    expect(csvError('\n \r\n')).toBe('train.csv: empty file, no data rows');
    expect(csvError('x1,x2,label\n\n')).toBe('train.csv: only a header line, no data rows');
  });

  it('a file with only one column', () => {
    expect(csvError('\n1\n2\n')).toMatch(/^train\.csv line 2: only 1 field; expected inputs and a label/);
    expect(csvError('label\n1\n')).toMatch(/^train\.csv line 1: only 1 field/);
  });

  it('ragged rows', () => {
    expect(csvError('1,2,3,0\n1,2,3,1\n\n\n\n\n\n\n1,2,1\n')).toBe('train.csv line 9: 3 fields, expected 4 like line 1');
    expect(csvError('x1,x2,label\n1,2,3,1\n')).toBe('train.csv line 2: 4 fields, expected 3 like line 1');
    expect(csvError('1,2,0\n1\n')).toBe('train.csv line 2: 1 field, expected 3 like line 1');
  });

  it('non-numeric values, with and without a header', () => {
    expect(csvError('1,2,0\n1,abc,0\n')).toBe('train.csv line 2, field 2: "abc" is not a number');
    expect(csvError('a,b,label\n1,2,0\n0x10,2,0\n')).toBe('train.csv line 3, field 1 (a): "0x10" is not a number');
    expect(csvError('1,2,0\n1,,0\n')).toBe('train.csv line 2, field 2: empty, expected a number');
  });

  it('NaN, Infinity and values beyond float32', () => {
    expect(csvError('1,2,0\nNaN,2,0\n')).toBe('train.csv line 2, field 1: "NaN" is not a finite number');
    expect(csvError('x,y,label\n1,-Infinity,0\n')).toBe('train.csv line 2, field 2 (y): "-Infinity" is not a finite number');
    expect(csvError('1,1e39,0\n')).toBe('train.csv line 1, field 2: "1e39" is outside the float32 range');
  });

  it('negative, non-integer and non-numeric labels', () => {
    const header = 'x1,x2,label\n';
    expect(csvError(`${header}1,2,0\n\n\n\n\n1,2,2.5\n`)).toBe('train.csv line 7, field 3 (label): "2.5" is not a non-negative integer label');
    expect(csvError('1,2,-1\n')).toBe('train.csv line 1, field 3: "-1" is not a non-negative integer label');
    expect(csvError('1,2,cat\n1,2,dog\n')).toBe('train.csv line 2, field 3 (cat): "dog" is not a non-negative integer label');
    expect(csvError('1,2,NaN\n')).toBe('train.csv line 1, field 3: "NaN" is not a non-negative integer label');
  });

  it('labels not below classes, and absurdly large labels', () => {
    expect(csvError('1,2,0\n1,2,5\n', { classes: 5 })).toBe('train.csv line 2, field 3: label 5 is not below the 5 classes');
    expect(csvError('1,2,1000000\n')).toBe('train.csv line 1, field 3: label 1000000 is above the largest allowed, 65535');
    expect(csvError('1,2,0\n', { classes: 0 })).toMatch(/^train\.csv: classes must be an integer from 1 to 65536, got 0$/);
  });

  it('keeps messages on one line for odd fields', () => {
    expect(csvError('1,2,0\n1,a\rb,0\n')).toBe('train.csv line 2, field 2: "a\\rb" is not a number');
    expect(csvError(`1,${'z'.repeat(100)},0\n`)).toBe(`train.csv line 1, field 2: "${'z'.repeat(40)}..." is not a number`);
  });
});
