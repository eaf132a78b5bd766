// The CLI end to end, in-process, in a temporary folder: train writes every artifact, eval reads the
// model back with the same accuracy, gradcheck passes, data export round-trips, bad input gets one line.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './capture.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'wgtrain-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));


const p = (name: string) => path.join(dir, name);

describe('wgtrain train', () => {
  it('runs the assignment configuration and writes every artifact', async () => {
    const r = await cli('train', '--backend', 'cpu', '--epochs', '200', '--out', p('run'));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('model 2-12-5 softplus + softmax: 101 parameters');
    expect(r.out).toContain('backend cpu');
    expect(r.out).toMatch(/test accuracy \d+\.\d\d%, cross-entropy \d\.\d{4}/);
    for (const f of ['model.json', 'metrics.json', 'history.csv', 'loss-curve.svg', 'accuracy-curve.svg', 'confusion-matrix.svg', 'decision-boundary.svg']) {
      expect(existsSync(p(`run/${f}`)), f).toBe(true);
    }
    const history = readFileSync(p('run/history.csv'), 'utf8').trim().split('\n');
    expect(history[0]).toBe('epoch,train_loss,train_accuracy,test_loss,test_accuracy');
    expect(history).toHaveLength(201);
    const metrics = JSON.parse(readFileSync(p('run/metrics.json'), 'utf8'));
    expect(metrics.epochs).toBe(200);
    expect(metrics.backend).toBe('cpu');
    expect(metrics.parameterCount).toBe(101);
    expect(metrics.test.confusion.flat().reduce((a: number, b: number) => a + b)).toBe(100);
    expect(readFileSync(p('run/decision-boundary.svg'), 'utf8')).toContain('data:image/png;base64,');
    const model = JSON.parse(readFileSync(p('run/model.json'), 'utf8'));
    expect(model.training).toMatchObject({ data: 'rings5', noise: 1, dataSeed: 1, epochs: 200, backend: 'cpu' });
  });

  it('--epochs 0 writes the initial model; --init continues from it exactly', async () => {
    expect((await cli('train', '--backend', 'cpu', '--epochs', '0', '--seed', '5', '--out', p('init'))).code).toBe(0);
    const initial = JSON.parse(readFileSync(p('init/model.json'), 'utf8'));
    expect(initial.training.epochs).toBe(0);
    // 20 epochs from the initial model equal 20 epochs from the same seed directly.
    expect((await cli('train', '--backend', 'cpu', '--epochs', '20', '--init', p('init/model.json'), '--out', p('cont'))).code).toBe(0);
    expect((await cli('train', '--backend', 'cpu', '--epochs', '20', '--seed', '5', '--out', p('direct'))).code).toBe(0);
    const cont = JSON.parse(readFileSync(p('cont/model.json'), 'utf8'));
    const direct = JSON.parse(readFileSync(p('direct/model.json'), 'utf8'));
    expect(cont.weights).toEqual(direct.weights);
    expect(cont.training.epochs).toBe(20);
  });

  it('--init resumes a mini-batch run exactly where it stopped (epoch numbering and shuffling go on)', async () => {
    const common = ['train', '--backend', 'cpu', '--batch', '64', '--quiet'];
    expect((await cli(...common, '--epochs', '12', '--out', p('straight'))).code).toBe(0);
    expect((await cli(...common, '--epochs', '5', '--out', p('first'))).code).toBe(0);
    expect((await cli(...common, '--epochs', '7', '--init', p('first/model.json'), '--out', p('second'))).code).toBe(0);
    const straight = JSON.parse(readFileSync(p('straight/model.json'), 'utf8'));
    const second = JSON.parse(readFileSync(p('second/model.json'), 'utf8'));
    expect(second.weights).toEqual(straight.weights);
    expect(second.training.epochs).toBe(12);
    expect(readFileSync(p('second/history.csv'), 'utf8').split('\n')[1]).toMatch(/^6,/);
  });

  it('eval reads the model back with the same accuracy', async () => {
    const r = await cli('eval', '--model', p('run/model.json'), '--data', 'rings5', '--json');
    expect(r.code, r.err).toBe(0);
    const [train, test] = JSON.parse(r.out);
    const metrics = JSON.parse(readFileSync(p('run/metrics.json'), 'utf8'));
    expect(test.accuracy).toBe(metrics.test.accuracy);
    expect(train.accuracy).toBe(metrics.train.accuracy);
    expect(test.loss).toBeCloseTo(metrics.test.loss, 12);
    const table = await cli('eval', '--model', p('run/model.json'), '--data', 'rings5');
    expect(table.out).toMatch(/true\\pred/);
    expect(table.out).toMatch(/precision/);
  });

  it('trains with standardization, mini-batches and Adam on a CSV file and evaluates the file', async () => {
    expect((await cli('data', 'export', 'spiral', '--out', p('spiral.csv'))).code).toBe(0);
    expect(existsSync(p('spiral.test.csv'))).toBe(true);
    const r = await cli('train', '--backend', 'cpu', '--data', p('spiral.csv'), '--test', p('spiral.test.csv'), '--standardize', '--layers', '2,32,3',
      '--activation', 'tanh', '--optimizer', 'adam', '--lr', '0.01', '--batch', '32', '--epochs', '40', '--out', p('spiral'), '--quiet');
    expect(r.code, r.err).toBe(0);
    const model = JSON.parse(readFileSync(p('spiral/model.json'), 'utf8'));
    expect(model.standardization.mean).toHaveLength(2);
    const ev = await cli('eval', '--model', p('spiral/model.json'), '--data', p('spiral.test.csv'), '--json');
    const metrics = JSON.parse(readFileSync(p('spiral/metrics.json'), 'utf8'));
    expect(JSON.parse(ev.out)[0].accuracy).toBe(metrics.test.accuracy);
  });

  it('gradcheck passes and prints every layer', async () => {
    const r = await cli('gradcheck', '--layers', '2,7,6,5', '--activation', 'sigmoid');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/PASSED/);
    expect(r.out.split('\n').filter((l) => /^\d\s/.test(l))).toHaveLength(3);
  });
});

describe('bad input: one line naming what and where, non-zero exit, nothing half-written', () => {
  const write = (name: string, text: string) => {
    writeFileSync(p(name), text);
    return p(name);
  };
  const cases: [string, () => string[], RegExp][] = [
    ['missing file', () => ['--data', p('nope.csv')], /nope\.csv: no such file/],
    ['empty file', () => ['--data', write('empty.csv', '')], /empty\.csv.*(empty|no data)/i],
    ['ragged row', () => ['--data', write('ragged.csv', '1,2,0\n3,4,1\n5,1\n')], /ragged\.csv line 3/],
    ['non-numeric', () => ['--data', write('nan.csv', '1,2,0\n3,x,1\n')], /nan\.csv line 2, field 2/],
    ['NaN value', () => ['--data', write('nan2.csv', '1,NaN,0\n3,4,1\n')], /nan2\.csv line 1, field 2/],
    ['negative label', () => ['--data', write('neg.csv', '1,2,0\n3,4,-1\n')], /neg\.csv line 2, field 3/],
    ['non-integer label', () => ['--data', write('frac.csv', '1,2,0\n3,4,1.5\n')], /frac\.csv line 2, field 3/],
    ['label not below the output size', () => ['--data', write('big.csv', '1,2,0\n3,4,7\n1,1,1\n2,2,1\n0,0,0\n'), '--layers', '2,4,5'], /label 7.*5 outputs/],
    ['input width mismatch', () => ['--data', write('w.csv', '1,2,3,0\n3,4,5,1\n1,1,1,1\n2,2,2,0\n0,0,0,0\n'), '--layers', '2,4,2'], /w\.csv.*3 inputs per sample.*takes 2/],
    ['invalid model.json', () => ['--init', write('bad-model.json', '{"format":"wgtrain-model","version":1}')], /bad-model\.json: layers: /],
    ['unknown option', () => ['--frobnicate'], /unknown option '--frobnicate'/],
    ['bad number', () => ['--lr', 'fast'], /--lr.*"fast" is not a positive number/],
    ['unknown data set', () => ['--data', 'rings7'], /unknown data "rings7"/],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const out = p('untouched');
    const r = await cli('train', '--backend', 'cpu', '--epochs', '1', '--out', out, ...args());
    expect(r.code).not.toBe(0);
    expect(r.err.trim().split('\n')[0]).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('a failing run leaves an earlier run in the same folder intact', async () => {
    const before = readFileSync(p('run/model.json'), 'utf8');
    const r = await cli('train', '--backend', 'cpu', '--data', p('nope.csv'), '--out', p('run'));
    expect(r.code).toBe(1);
    expect(readFileSync(p('run/model.json'), 'utf8')).toBe(before);
  });
});
