// The data layer's public API. Everything here can be bundled for the browser; loadData with files and
// loadMnist need Node at call time.

export { type DataSplit, type Dataset, InputError, makeDataset, selectSamples } from './dataset.ts';
export {
  SYNTHETIC_NAMES,
  SYNTHETIC_SETS,
  type SyntheticGenerator,
  type SyntheticOptions,
  type SyntheticSet,
  blobs,
  circles,
  makeSyntheticSplit,
  moons,
  rings5,
  spiral,
  xor,
} from './synthetic.ts';
export { formatFloat32, parseCsv, toCsv } from './csv.ts';
export { parseJsonData } from './json.ts';
export { MAX_CLASSES, type ParseOptions } from './labels.ts';
export { loadMnist } from './mnist.ts';
export { type Standardization, applyStandardization, fitStandardization } from './standardize.ts';
export { type LoadSpec, type ReadFile, loadData, splitToCsv, testCsvPath } from './load.ts';
