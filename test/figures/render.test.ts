// Renders the demo figures and some edge cases; with FIGURES_OUT=/some/dir set, also writes them
// there to look at (e.g. chromium --headless --screenshot=x.png file:///some/dir/x.svg).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { makeDataset } from '../../src/data/dataset.ts';
import { accuracyCurveSvg, boundaryGrid, boundaryRaster, confusionMatrixSvg, decisionBoundarySvg, lossCurveSvg } from '../../src/figures/index.ts';
import { pngDataUri } from '../../src/figures/png.ts';
import { makeRng, normal } from '../../src/random.ts';
import { summarize } from '../../src/train/metrics.ts';
import { demoData, demoEvaluation, demoHistory, demoProbs } from './demo.ts';
import { checkSvg } from './helpers.ts';

function edgeCases(): Record<string, string> {
  const long = demoHistory(5000);
  long.slice(4200).forEach((r) => (r.trainLoss = NaN)); // diverged
  long[1000].testLoss = 6;
  const noTest = demoHistory(12).map((r) => ({ ...r, testLoss: NaN, testAccuracy: NaN }));
  const rng = makeRng(5);
  const ten = Array.from({ length: 10 }, (_, r) => Array.from({ length: 10 }, (_, c) => (r === c ? 9000 + Math.floor(rng() * 900) : Math.floor(rng() * rng() * 400))));
  const tenNames = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
  // Ten blobs on a circle, with a boundary from the blob centres.
  const k = 10;
  const n = 600;
  const x = new Float32Array(2 * n);
  const y = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    x[2 * i] = 10 * Math.cos((2 * Math.PI * c) / k) + 1.6 * normal(rng);
    x[2 * i + 1] = 10 * Math.sin((2 * Math.PI * c) / k) + 1.6 * normal(rng);
    y[i] = c;
  }
  const blobs = makeDataset({ name: 'ten', inputs: 2, classes: k, x, y });
  const grid = boundaryGrid(blobs, 150);
  const probs = new Float32Array(grid.width * grid.height * k);
  for (let p = 0; p < grid.width * grid.height; p++) {
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const dx = grid.inputs[2 * p] - 10 * Math.cos((2 * Math.PI * c) / k);
      const dy = grid.inputs[2 * p + 1] - 10 * Math.sin((2 * Math.PI * c) / k);
      sum += probs[p * k + c] = Math.exp(-0.15 * (dx * dx + dy * dy));
    }
    for (let c = 0; c < k; c++) probs[p * k + c] /= sum;
  }
  const raster = boundaryRaster(grid, probs, k);
  return {
    'edge-loss-1-epoch': lossCurveSvg(demoHistory(1)),
    'edge-loss-5000-diverged': lossCurveSvg(long),
    'edge-loss-5000-log': lossCurveSvg(long, { logScale: true }),
    'edge-loss-no-test': lossCurveSvg(noTest),
    'edge-confusion-10': confusionMatrixSvg(summarize(12345, ten), tenNames, { title: 'Fashion <test> set' }),
    'edge-confusion-10-log': confusionMatrixSvg(summarize(12345, ten), tenNames, { colorScale: 'log' }),
    'edge-confusion-2': confusionMatrixSvg(summarize(3, [[40, 2], [7, 51]]), ['no', 'yes']),
    'edge-boundary-10': decisionBoundarySvg(grid, pngDataUri(raster, grid.width, grid.height), blobs, blobs.classNames),
  };
}

describe('demo render', () => {
  it('renders the figures of a 5-class example and edge cases as well-formed SVG', () => {
    const data = demoData();
    const grid = boundaryGrid(data, 200);
    const raster = boundaryRaster(grid, demoProbs(grid.inputs), data.classes);
    const figures: Record<string, string> = {
      loss: lossCurveSvg(demoHistory()),
      'loss-log': lossCurveSvg(demoHistory(), { logScale: true }),
      accuracy: accuracyCurveSvg(demoHistory()),
      confusion: confusionMatrixSvg(demoEvaluation(data), data.classNames),
      boundary: decisionBoundarySvg(grid, pngDataUri(raster, grid.width, grid.height), data, data.classNames),
      'boundary-rects': decisionBoundarySvg(grid, raster, data, data.classNames),
      ...edgeCases(),
    };
    for (const svg of Object.values(figures)) checkSvg(svg);
    const dir = process.env.FIGURES_OUT;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      for (const [name, svg] of Object.entries(figures)) writeFileSync(join(dir, `${name}.svg`), svg);
    }
  });
});
