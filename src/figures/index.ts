// Browser-safe figure API: pure functions from training results to standalone SVG text.
// PNG encoding (Node only, pngjs) lives in ./png.ts and is imported from there directly.

export {
  CATEGORICAL,
  VIRIDIS_STOPS,
  categoricalColor,
  classColors,
  hexToRgb,
  mixRgb,
  relativeLuminance,
  rgbToHex,
  sequential,
  sequentialHex,
  textColorOn,
  type Rgb,
} from './colors.ts';
export { escapeXml, formatTick, logTicks, niceStep, niceTicks, num, type Ticks } from './svg.ts';
export { accuracyCurveSvg, decimateSeries, lossCurveSvg, sweepCurvesSvg, type AccuracyCurveOptions, type LossCurveOptions, type SweepCurve, type SweepCurvesOptions } from './lossCurve.ts';
export { confusionMatrixSvg, type ConfusionMatrixOptions } from './confusionMatrix.ts';
export {
  boundaryGrid,
  boundaryRaster,
  decisionBoundarySvg,
  type BoundaryGrid,
  type BoundaryRasterOptions,
  type DecisionBoundaryOptions,
} from './decisionBoundary.ts';
