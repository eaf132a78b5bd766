import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Dataset, InputError, type LoadSpec, loadData, parseCsv, rings5, splitToCsv, testCsvPath, toCsv } from '../../src/data/index.ts';

/** A readFile over in-memory files that fails like fs for missing ones. */
function files(contents: Record<string, string>): (path: string) => string {
  return (path) => {
    if (!(path in contents)) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return contents[path];
  };
}

/** Ten samples x = (i, -i), label i mod 3, with a header. */
const TEN = `x1,x2,label\n${Array.from({ length: 10 }, (_, i) => `${i},${-i},${i % 3}`).join('\n')}\n`;

function loadError(spec: LoadSpec, contents: Record<string, string> = {}): string {
  try {
    loadData(spec, files(contents));
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('loadData accepted bad input');
}

const firstInputs = (d: Dataset) => Array.from({ length: d.size }, (_, i) => d.x[i * d.inputs]);

describe('loadData', () => {
  it('draws synthetic sets', () => {
    const split = loadData({ data: 'moons', trainSize: 50, testSize: 20, noise: 0.5, seed: 3 });
    expect(split.train).toMatchObject({ name: 'moons', size: 50, classes: 2 });
    expect(split.test.size).toBe(20);
    expect(loadData({ data: 'blobs', classes: 6 }).train.classes).toBe(6);
    expect(loadData({ data: 'rings5' }).train.size).toBe(400);
  });

  it('loads mnist', () => {
    const split = loadData({ data: 'mnist', trainSize: 100, testSize: 50 });
    expect(split.train).toMatchObject({ size: 100, inputs: 784, classes: 10 });
    expect(split.test.size).toBe(50);
  });

  it('holds out a seeded 20% of a data file, each side in file order', () => {
    const split = loadData({ data: 'd.csv' }, files({ 'd.csv': TEN }));
    expect(split.train).toMatchObject({ name: 'd.csv', size: 8, inputs: 2, classes: 3 });
    expect(split.test).toMatchObject({ name: 'd.csv (test)', size: 2, classes: 3 });
    const train = firstInputs(split.train);
    const test = firstInputs(split.test);
    expect([...train, ...test].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(train).toEqual([...train].sort((a, b) => a - b));
    for (let i = 0; i < split.train.size; i++) {
      expect(split.train.x[2 * i + 1] + split.train.x[2 * i]).toBe(0); // rows stay whole
      expect(split.train.y[i]).toBe(split.train.x[2 * i] % 3);
    }
    const again = loadData({ data: 'd.csv' }, files({ 'd.csv': TEN }));
    expect(firstInputs(again.test)).toEqual(test);
    const seeds = [2, 3, 4, 5].map((seed) => firstInputs(loadData({ data: 'd.csv', seed }, files({ 'd.csv': TEN })).test).join());
    expect(seeds.some((s) => s !== test.join())).toBe(true);
    expect(loadData({ data: 'd.csv', split: 0.5 }, files({ 'd.csv': TEN })).test.size).toBe(5);
  });

  it('rejects a split that leaves a side empty', () => {
    expect(loadError({ data: 'd.csv', split: 0.01 }, { 'd.csv': TEN })).toBe('d.csv: a split of 0.01 of 10 samples leaves the test set empty');
    expect(loadError({ data: 'd.csv', split: 0.99 }, { 'd.csv': TEN })).toBe('d.csv: a split of 0.99 of 10 samples leaves the training set empty');
    expect(loadError({ data: 'd.csv', split: 1 }, { 'd.csv': TEN })).toBe('d.csv: split must be between 0 and 1, got 1');
    expect(loadError({ data: 'one.csv' }, { 'one.csv': '1,2,0\n' })).toMatch(/one\.csv: a split of 0\.2 of 1 samples leaves the test set empty/);
  });

  it('pairs a data file with a test file, widening classes to the larger', () => {
    const contents = { 'train.csv': '1,2,0\n3,4,1\n', 'test.json': '{"x": [[5, 6]], "y": [2]}' };
    const split = loadData({ data: 'train.csv', test: 'test.json' }, files(contents));
    expect(split.train).toMatchObject({ name: 'train.csv', size: 2, classes: 3, classNames: ['0', '1', '2'] });
    expect(split.test).toMatchObject({ name: 'test.json', size: 1, classes: 3 });
    expect(loadData({ data: 'train.csv', test: 'test.json', classes: 5 }, files(contents)).train.classes).toBe(5);
    expect(loadError({ data: 'train.csv', test: 'test.json', classes: 2 }, contents)).toBe('test.json: y[0]: label 2 is not below the 2 classes');
  });

  it('takes class names from whichever file has them', () => {
    const contents = {
      'train.json': '{"x": [[1], [2]], "y": [0, 1], "classNames": ["no", "yes"]}',
      'test.csv': '1,0\n',
      'other.json': '{"x": [[1]], "y": [0], "classNames": ["a", "b"]}',
      'three.csv': '1,2\n',
    };
    const split = loadData({ data: 'train.json', test: 'test.csv' }, files(contents));
    expect(split.test.classNames).toEqual(['no', 'yes']);
    expect(split.test.classes).toBe(2);
    expect(loadError({ data: 'train.json', test: 'other.json' }, contents)).toBe('train.json and other.json give different classNames');
    expect(loadError({ data: 'train.json', test: 'three.csv' }, contents)).toBe('train.json: classNames names 2 classes, but the data has 3');
  });

  it('requires both files to have the same inputs', () => {
    const contents = { 'train.csv': '1,2,0\n', 'test.csv': '1,2,3,0\n' };
    expect(loadError({ data: 'train.csv', test: 'test.csv' }, contents)).toBe('train.csv has 2 inputs per sample but test.csv has 3');
  });

  it('reports missing and unreadable files', () => {
    expect(loadError({ data: 'train.csv' })).toBe('train.csv: no such file');
    expect(loadError({ data: 'train.csv', test: 'test.csv' }, { 'train.csv': TEN })).toBe('test.csv: no such file');
    const denied = () => {
      throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    };
    expect(() => loadData({ data: 'x.json' }, denied)).toThrow(/^x\.json: cannot read: EACCES$/);
  });

  it('passes parse errors through', () => {
    expect(loadError({ data: 'bad.csv' }, { 'bad.csv': '1,2,0\n1,x,0\n' })).toBe('bad.csv line 2, field 2: "x" is not a number');
  });

  it('rejects unknown names, listing the known ones', () => {
    expect(loadError({ data: 'ringz' })).toBe('unknown data "ringz": expected one of rings5, spiral, moons, circles, xor, blobs, mnist, or a .csv or .json file');
    expect(loadError({ data: 'd.csv', test: 'd.txt' }, { 'd.csv': TEN })).toBe('d.txt: a test file must end in .csv or .json');
  });

  it('rejects options that do not apply to the source', () => {
    expect(loadError({ data: 'd.csv', noise: 1 }, { 'd.csv': TEN })).toBe('d.csv: noise cannot be used with a data file');
    expect(loadError({ data: 'd.csv', test: 'd.csv', split: 0.3 }, { 'd.csv': TEN })).toBe('d.csv: split cannot be used with a data file with a test file');
    expect(loadError({ data: 'rings5', test: 't.csv' })).toBe('rings5: test cannot be used with a synthetic set');
    expect(loadError({ data: 'rings5', classes: 3 })).toBe('rings5: has exactly 5 classes, got classes = 3');
    expect(loadError({ data: 'mnist', noise: 0.1, classes: 10 })).toBe('mnist: noise, classes cannot be used with mnist');
  });

  it('reads real files with the default reader', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgtrain-data-'));
    writeFileSync(join(dir, 'd.csv'), TEN);
    expect(loadData({ data: join(dir, 'd.csv'), split: 0.3 }).test.size).toBe(3);
    expect(() => loadData({ data: join(dir, 'missing.csv') })).toThrow(`${join(dir, 'missing.csv')}: no such file`);
  });
});

describe('splitToCsv', () => {
  it('exports both sides, which load back as the same split', () => {
    const split = { train: rings5({ size: 40, noise: 1, seed: 1 }), test: rings5({ size: 10, noise: 1, seed: 2 }) };
    const csv = splitToCsv(split);
    expect(csv.train).toBe(toCsv(split.train));
    expect(csv.test.split('\n')[0]).toBe('x1,x2,label');
    const back = loadData({ data: 'out/rings5.csv', test: testCsvPath('out/rings5.csv') }, files({ 'out/rings5.csv': csv.train, 'out/rings5.test.csv': csv.test }));
    expect(Buffer.from(back.train.x.buffer).equals(Buffer.from(split.train.x.buffer))).toBe(true);
    expect(Buffer.from(back.test.x.buffer).equals(Buffer.from(split.test.x.buffer))).toBe(true);
    expect(Array.from(back.test.y)).toEqual(Array.from(parseCsv(csv.test, 't').y));
  });

  it('puts the test part next to the training file', () => {
    expect(testCsvPath('out/rings5.csv')).toBe('out/rings5.test.csv');
    expect(testCsvPath('DATA.CSV')).toBe('DATA.test.csv');
    expect(testCsvPath('name')).toBe('name.test.csv');
  });
});
