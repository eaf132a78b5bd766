import { describe, expect, it } from 'vitest';
import { InputError, parseJsonData } from '../../src/data/index.ts';

/** The one-line InputError message parseJsonData throws for text. */
function jsonError(text: string, options?: { classes?: number }): string {
  try {
    parseJsonData(text, 'data.json', options);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    const message = (e as Error).message;
    expect(message).not.toMatch(/\n/);
    return message;
  }
  throw new Error('parseJsonData accepted bad input');
}

describe('parseJsonData', () => {
  it('reads x, y and class names', () => {
    const d = parseJsonData('{"x": [[1, 2], [0.1, -3]], "y": [1, 0], "classNames": ["cat", "dog", "eel"]}', 'data.json');
    expect(d).toMatchObject({ name: 'data.json', size: 2, inputs: 2, classes: 3, classNames: ['cat', 'dog', 'eel'] });
    expect(Array.from(d.x)).toEqual([1, 2, Math.fround(0.1), -3]);
    expect(Array.from(d.y)).toEqual([1, 0]);
  });

  it('defaults classes to the largest label + 1, or takes options.classes', () => {
    expect(parseJsonData('{"x": [[1], [2]], "y": [0, 3]}', 'd.json').classes).toBe(4);
    expect(parseJsonData('{"x": [[1], [2]], "y": [0, 3]}', 'd.json', { classes: 6 }).classNames).toHaveLength(6);
  });
});

describe('parseJsonData errors name the file and the path', () => {
  it('invalid JSON', () => {
    expect(jsonError('{"x": [[1, 2]')).toMatch(/^data\.json: not valid JSON: /);
    expect(jsonError('')).toMatch(/^data\.json: not valid JSON: /);
  });

  it('wrong structure', () => {
    expect(jsonError('[1, 2]')).toBe('data.json: expected an object {"x": number[][], "y": number[], "classNames"?: string[]}');
    expect(jsonError('{"x": [[1]]}')).toBe('data.json: y: expected an array of labels');
    expect(jsonError('{"x": [1], "y": [0]}')).toBe('data.json: x[0]: expected an array of numbers');
    expect(jsonError('{"x": [[1]], "y": [0], "labels": [0]}')).toBe('data.json: unexpected key "labels"; expected only x, y and classNames');
    expect(jsonError('{"x": [[1]], "y": [0], "classNames": [0]}')).toBe('data.json: classNames[0]: expected a string');
  });

  it('non-finite and non-numeric inputs', () => {
    expect(jsonError('{"x": [[1, 2], [3, 4], [5, 6], [7, "8"]], "y": [0, 0, 0, 0]}')).toBe('data.json: x[3][1]: expected a finite number, got "8"');
    expect(jsonError('{"x": [[1e999]], "y": [0]}')).toBe('data.json: x[0][0]: expected a finite number, got Infinity');
    expect(jsonError('{"x": [[null]], "y": [0]}')).toBe('data.json: x[0][0]: expected a finite number, got null');
    expect(jsonError('{"x": [[1e39]], "y": [0]}')).toBe('data.json: x[0][0]: 1e+39 is outside the float32 range');
  });

  it('empty, ragged and mismatched arrays', () => {
    expect(jsonError('{"x": [], "y": []}')).toBe('data.json: x: no samples');
    expect(jsonError('{"x": [[]], "y": [0]}')).toBe('data.json: x[0]: no values; every sample needs at least one input');
    expect(jsonError('{"x": [[1, 2], [3, 4], [5]], "y": [0, 1, 0]}')).toBe('data.json: x[2]: 1 values, expected 2 like x[0]');
    expect(jsonError('{"x": [[1], [2]], "y": [0]}')).toBe('data.json: x has 2 samples but y has 1 labels');
  });

  it('bad labels', () => {
    expect(jsonError('{"x": [[1], [2]], "y": [0, -1]}')).toBe('data.json: y[1]: expected a non-negative integer label, got -1');
    expect(jsonError('{"x": [[1]], "y": [2.5]}')).toBe('data.json: y[0]: expected a non-negative integer label, got 2.5');
    expect(jsonError('{"x": [[1]], "y": ["1"]}')).toBe('data.json: y[0]: expected a non-negative integer label, got "1"');
    expect(jsonError('{"x": [[1], [2]], "y": [0, 5]}', { classes: 5 })).toBe('data.json: y[1]: label 5 is not below the 5 classes');
    expect(jsonError('{"x": [[1]], "y": [2], "classNames": ["a", "b"]}')).toBe('data.json: y[0]: label 2 is not below the 2 classes');
    expect(jsonError('{"x": [[1]], "y": [70000]}')).toBe('data.json: y[0]: label 70000 is above the largest allowed, 65535');
    expect(jsonError('{"x": [[1]], "y": [0], "classNames": ["a", "b"]}', { classes: 3 })).toBe(
      'data.json: classNames: 2 names, but classes = 3',
    );
  });
});
