// `wgtrain sweep` end to end, in-process: the ranked tables, every file of the sweep folder agreeing with
// one another and with `eval` of the best model, the GPU side by side, and one-line errors for bad lists.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseModel } from '../../src/model/modelFile.ts';
import { availableAdapters } from '../gpu/harness.ts';
import { cli } from './capture.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'wgtrain-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const found = await availableAdapters();

interface RunRow {
  rank: number;
  run: number;
  lr: number;
  seed: number;
  test_loss: number;
  test_accuracy: number;
  status: string;
}

function readCsv(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const names = header.split(',');
  // Labels are quoted and hold commas: split outside quotes.
  return lines.map((line) => {
    const cells = line.match(/("[^"]*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, ''));
    return Object.fromEntries(names.map((n, i) => [n, cells[i]]));
  });
}

describe('wgtrain sweep', () => {
  it('on the CPU: ranked table, summary over seeds, sweep.json, CSVs, all curves and the best model, consistent with eval', async () => {
    const out = path.join(dir, 'cpu');
    const r = await cli('sweep', '--backend', 'cpu', '--lr', '0.02,0.3,1e30', '--seeds', '2', '--epochs', '40', '--out', out, '--quiet');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('sweep of 6 runs (3 lr x 2 seeds) on rings5');
    expect(r.out).toContain('trained 6 runs (0 side by side)');
    expect(r.out).toMatch(/runs ranked by test-loss:/);
    expect(r.out).toMatch(/lr 1e\+30 +2 +2 +- +- +-/);
    expect(r.out).toContain('2 of 6 runs diverged (NaN or infinite loss): marked, ranked last, left out of the means');

    const runs = readCsv(path.join(out, 'runs.csv')).map((row) => ({ ...row, rank: Number(row.rank), run: Number(row.run), lr: Number(row.lr), seed: Number(row.seed), test_loss: Number(row.test_loss), test_accuracy: Number(row.test_accuracy) })) as unknown as RunRow[];
    expect(runs.map((row) => row.rank)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(runs.slice(4).map((row) => [row.lr, row.status])).toEqual([
      [1e30, 'diverged'],
      [1e30, 'diverged'],
    ]);
    const finite = runs.slice(0, 4).map((row) => row.test_loss);
    expect(finite).toEqual([...finite].sort((a, b) => a - b));
    expect(runs[0].lr).toBe(0.3);

    const sweep = JSON.parse(readFileSync(path.join(out, 'sweep.json'), 'utf8'));
    expect(sweep.ranking).toEqual(runs.map((row) => row.run));
    expect(sweep.runs).toHaveLength(6);
    expect(sweep.summaries.map((s: { group: string }) => s.group)).toEqual(['lr 0.3', 'lr 0.02', 'lr 1e+30']);
    expect(sweep.summaries[2]).toMatchObject({ diverged: 2, testLoss: { mean: null } });
    const history = readFileSync(path.join(out, 'history.csv'), 'utf8').trim().split('\n');
    expect(history[0]).toBe('run,epoch,train_loss,train_accuracy,test_loss,test_accuracy');
    expect(history).toHaveLength(1 + 6 * 40);
    const svg = readFileSync(path.join(out, 'loss-curves.svg'), 'utf8');
    // Four finite runs, train and test each; the diverged are left out and counted in the title.
    expect(svg.match(/<g class="series"/g)).toHaveLength(8);
    expect(svg).toContain('2 diverged not drawn');

    const best = parseModel(readFileSync(path.join(out, 'best', 'model.json'), 'utf8'), 'best/model.json');
    expect(best.training).toMatchObject({ seed: runs[0].seed, epochs: 40, optimizer: { lr: 0.3 } });
    const evaluated = await cli('eval', '--model', path.join(out, 'best', 'model.json'), '--data', 'rings5', '--backend', 'cpu', '--json');
    expect(evaluated.code, evaluated.err).toBe(0);
    const [, test] = JSON.parse(evaluated.out);
    expect(test.size).toBe(100);
    expect(test.accuracy).toBe(runs[0].test_accuracy);
    for (const file of ['metrics.json', 'history.csv', 'loss-curve.svg', 'decision-boundary.svg', 'confusion-matrix.svg']) expect(readFileSync(path.join(out, 'best', file), 'utf8').length).toBeGreaterThan(100);
  });

  it.runIf(found.swiftshader)('on the GPU: runs side by side, with epoch counts read off one training', async () => {
    const out = path.join(dir, 'gpu');
    const r = await cli('sweep', '--backend', 'gpu', '--adapter', 'swiftshader', '--lr', '0.1,0.2', '--optimizer', 'gd,adam', '--epochs', '10,30', '--out', out, '--quiet');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('sweep of 8 runs (2 lr x 2 optimizers x 2 epoch counts)');
    expect(r.out).toMatch(/trained 8 runs \(8 side by side\) in .* fused path/);
    const runs = readCsv(path.join(out, 'runs.csv'));
    // A 10-epoch run is the first 10 epochs of its 30-epoch twin.
    const history = readCsv(path.join(out, 'history.csv'));
    const of = (run: number) => history.filter((h) => Number(h.run) === run);
    expect(of(1)).toHaveLength(10);
    expect(of(2)).toHaveLength(30);
    expect(of(1).map((h) => h.train_loss)).toEqual(of(2).slice(0, 10).map((h) => h.train_loss));
    expect(runs).toHaveLength(8);
  });

  it.each([
    [['--lr', '0.1,abc'], /option '--lr <rates>' argument '0.1,abc' is invalid. in "0.1,abc": "abc" is not a positive number/],
    [['--lr', '0.1,,0.2'], /"0.1,,0.2" has an empty entry/],
    [['--lr', '0.1,0.1'], /wgtrain: error: --lr: 0.1 is listed twice/],
    [['--hidden', '12,4y4'], /"4y4" is not hidden layer sizes like 12 or 16x16/],
    [['--optimizer', 'gd,sgd'], /"sgd" is not one of gd, momentum, adam/],
    [['--seeds', '5000', '--lr', '0.1'], /the grid has 5000 runs, more than a sweep takes \(4096\)/],
  ])('%j fails with one line naming the option', async (args, message) => {
    const r = await cli('sweep', '--backend', 'cpu', '--epochs', '1', '--out', path.join(dir, 'bad'), ...args);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')[0]).toMatch(/error/);
  });
});
