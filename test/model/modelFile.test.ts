import { describe, expect, it } from 'vitest';
import { initParams, parameterCount, parseLayers, ModelError, validateSpec } from '../../src/model/mlp.ts';
import { ModelFileError, parseModel, serializeModel, type Model } from '../../src/model/modelFile.ts';
import { makeRng } from '../../src/random.ts';

function sampleModel(): Model {
  const params = initParams({ layers: [2, 12, 5], activation: 'softplus' }, 7);
  // Awkward float32 values: subnormal, negative zero, large and tiny magnitudes.
  params.biases[0].set([1e-45, -0, 3.4e38, -1.17549435e-38, 0.1, 1 / 3]);
  const rng = makeRng(1);
  params.biases[1].forEach((_, i) => (params.biases[1][i] = (rng() - 0.5) * 1e-7));
  return { params, classNames: ['a', 'b', 'c<d>', 'd "e"', 'f'], standardization: { mean: [0.5, -1], std: [2, 0.25] }, training: { epochs: 10, optimizer: { kind: 'gd' } } };
}

describe('model.json', () => {
  it('round-trips exactly, bit for bit', () => {
    const model = sampleModel();
    const text = serializeModel(model, '0.1.0');
    const back = parseModel(text, 'model.json');
    for (let l = 0; l < 2; l++) {
      expect(new Uint8Array(back.params.weights[l].buffer)).toEqual(new Uint8Array(model.params.weights[l].buffer));
      expect(new Uint8Array(back.params.biases[l].buffer)).toEqual(new Uint8Array(model.params.biases[l].buffer));
    }
    expect(back.classNames).toEqual(model.classNames);
    expect(back.standardization).toEqual(model.standardization);
    expect(back.training).toEqual(model.training);
    expect(serializeModel(back, '0.1.0')).toBe(text);
  });

  it('writes W(l) as outputs x inputs rows, as the assignment does', () => {
    const json = JSON.parse(serializeModel(sampleModel(), '0.1.0'));
    expect(json.layers).toEqual([2, 12, 5]);
    expect(json.parameterCount).toBe(101);
    expect(json.weights[0]).toHaveLength(12);
    expect(json.weights[0][0]).toHaveLength(2);
    expect(json.weights[1]).toHaveLength(5);
    expect(json.weights[1][0]).toHaveLength(12);
  });

  const bad: [string, (m: any) => void, RegExp][] = [
    ['wrong format', (m) => (m.format = 'other'), /model\.json: format: /],
    ['missing weights', (m) => delete m.weights, /model\.json: weights: /],
    ['row too short', (m) => m.weights[1][3].pop(), /model\.json: weights\[1\]\[3\]: expected 12 columns \(inputs\), got 11/],
    ['too few rows', (m) => m.weights[0].pop(), /weights\[0\]: expected 12 rows \(outputs\), got 11/],
    ['bias length', (m) => m.biases[1].push(0), /biases\[1\]: expected 5 entries, got 6/],
    ['non-number', (m) => (m.weights[0][2][1] = 'x'), /weights\[0\]\[2\]\[1\]: /],
    ['bad activation', (m) => (m.activation = 'gelu'), /activation: /],
    ['class names', (m) => m.classNames.pop(), /classNames: expected 5 class names, got 4/],
    ['standardization width', (m) => m.standardization.mean.push(1), /standardization\.mean: expected 2 entries/],
    ['zero std', (m) => (m.standardization.std[0] = 0), /standardization\.std\[0\]: expected a positive number/],
    ['parameter count', (m) => (m.parameterCount = 100), /parameterCount: says 100, but layers \[2,12,5\] have 101/],
  ];
  it.each(bad)('rejects %s with the path of the problem', (_name, mutate, message) => {
    const json = JSON.parse(serializeModel(sampleModel(), '0.1.0'));
    mutate(json);
    expect(() => parseModel(JSON.stringify(json), 'model.json')).toThrow(ModelFileError);
    expect(() => parseModel(JSON.stringify(json), 'model.json')).toThrow(message);
  });

  it('rejects text that is not JSON', () => {
    expect(() => parseModel('{"format": ', 'm.json')).toThrow(/^m\.json: not valid JSON/);
  });
});

describe('model spec', () => {
  it('counts parameters', () => {
    expect(parameterCount({ layers: [2, 12, 5], activation: 'softplus' })).toBe(101);
    expect(parameterCount({ layers: [784, 128, 10], activation: 'relu' })).toBe(784 * 128 + 128 + 128 * 10 + 10);
  });
  it('parses --layers and names the bad entry', () => {
    expect(parseLayers('2, 12,5')).toEqual([2, 12, 5]);
    expect(() => parseLayers('2,x,5')).toThrow(/entry 2 \("x"\) is not a positive integer/);
    expect(() => parseLayers('2,,5')).toThrow(ModelError);
    expect(() => parseLayers('2,0,5')).toThrow(/entry 2/);
    expect(() => validateSpec({ layers: [3], activation: 'relu' })).toThrow(/at least an input and an output/);
    expect(() => validateSpec({ layers: [3, 1], activation: 'relu' })).toThrow(/at least 2 classes/);
  });
  it('initialises deterministically within the stated Glorot bound, biases zero', () => {
    const a = initParams({ layers: [2, 12, 5], activation: 'softplus' }, 1);
    const b = initParams({ layers: [2, 12, 5], activation: 'softplus' }, 1);
    const c = initParams({ layers: [2, 12, 5], activation: 'softplus' }, 2);
    expect(a.weights).toEqual(b.weights);
    expect(a.weights[0]).not.toEqual(c.weights[0]);
    const r = Math.sqrt(6 / 14);
    expect(Math.max(...a.weights[0].map(Math.abs))).toBeLessThanOrEqual(r);
    expect(Math.max(...a.weights[0].map(Math.abs))).toBeGreaterThan(0.5 * r);
    expect([...a.biases[0]].every((v) => v === 0)).toBe(true);
  });
});
