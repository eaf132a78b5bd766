// Decision-boundary figure for 2-input data, in three steps so the model can run anywhere in between:
//   1. boundaryGrid(data)            -> the sample points of an image over the data's bounding box;
//   2. (the trainer runs inference on grid.inputs, getting probs (width*height, classes));
//   3. boundaryRaster(grid, probs)   -> RGBA pixels: the argmax class colour, paler where unsure;
//   4. decisionBoundarySvg(grid, raster, data, classNames) -> the SVG with the data drawn on top.
// The raster goes into the SVG either as an image URI (a PNG data URI: pngDataUri in ./png.ts under
// Node, canvas.toDataURL in the browser) or, without an encoder, as the RGBA array itself, which is
// then drawn as merged <rect> runs (larger markup, same picture).
// Pure functions, no Node API.

import type { Dataset } from '../data/dataset.ts';
import { categoricalColor, hexToRgb, mixRgb, rgbToHex } from './colors.ts';
import { escapeXml, formatTick, niceTicks, num, svgDocument, text, textWidth, ticksWithin, truncate } from './svg.ts';

/** The pixel grid a boundary image is sampled on. */
export interface BoundaryGrid {
  /** Image extent in data coordinates: x1 from xMin (left edge) to xMax (right edge). */
  xMin: number;
  xMax: number;
  /** x2 from yMin (bottom edge) to yMax (top edge). */
  yMin: number;
  yMax: number;
  /** Pixels per row and number of rows. */
  width: number;
  height: number;
  /**
   * (width*height, 2) row-major: pixel (row, col) at index row*width + col holds the data point at
   * that pixel's centre. Row 0 is the top (largest x2), column 0 the left (smallest x1).
   */
  inputs: Float32Array<ArrayBuffer>;
}

/**
 * The grid over the bounding box of `points` widened by `margin` (a fraction of each side's range)
 * on every side, `resolution` x `resolution` pixels. Pixel centres are sampled, so the image covers
 * [xMin, xMax] x [yMin, yMax] exactly. A zero-width range is widened to +-0.5 (+-1 with no points).
 * Throws unless the data has exactly 2 inputs.
 */
export function boundaryGrid(points: Dataset, resolution = 200, margin = 0.1): BoundaryGrid {
  if (points.inputs !== 2) {
    throw new Error(`boundaryGrid: a decision boundary needs 2 inputs, ${points.name} has ${points.inputs}`);
  }
  if (!Number.isInteger(resolution) || resolution < 2) throw new Error(`boundaryGrid: resolution must be an integer >= 2, got ${resolution}`);
  if (!(margin >= 0) || !Number.isFinite(margin)) throw new Error(`boundaryGrid: margin must be >= 0, got ${margin}`);
  let ax = Infinity;
  let bx = -Infinity;
  let ay = Infinity;
  let by = -Infinity;
  for (let i = 0; i < points.size; i++) {
    const x = points.x[2 * i];
    const y = points.x[2 * i + 1];
    if (Number.isFinite(x)) {
      ax = Math.min(ax, x);
      bx = Math.max(bx, x);
    }
    if (Number.isFinite(y)) {
      ay = Math.min(ay, y);
      by = Math.max(by, y);
    }
  }
  const span = (lo: number, hi: number): [number, number] => {
    if (!(lo <= hi)) return [-1, 1];
    if (lo === hi) return [lo - 0.5, hi + 0.5];
    const pad = (hi - lo) * margin;
    return [lo - pad, hi + pad];
  };
  const [xMin, xMax] = span(ax, bx);
  const [yMin, yMax] = span(ay, by);
  const width = resolution;
  const height = resolution;
  const inputs = new Float32Array(width * height * 2);
  const dx = (xMax - xMin) / width;
  const dy = (yMax - yMin) / height;
  for (let row = 0; row < height; row++) {
    const y = yMax - (row + 0.5) * dy;
    for (let col = 0; col < width; col++) {
      const k = 2 * (row * width + col);
      inputs[k] = xMin + (col + 0.5) * dx;
      inputs[k + 1] = y;
    }
  }
  return { xMin, xMax, yMin, yMax, width, height, inputs };
}

export interface BoundaryRasterOptions {
  /** Class colours ('#rrggbb'); default categoricalColor(c). */
  colors?: readonly string[];
  /** Blend towards the class colour at full confidence, 0..1 (default 0.6: pale enough for the points). */
  maxStrength?: number;
  /** Blend at chance-level confidence (max prob = 1/classes), 0..1 (default 0.08). */
  minStrength?: number;
}

/**
 * RGBA pixels (height, width, 4), row 0 at the top, ready for `new ImageData(raster, w, h)` or
 * encodePng. Each pixel is its argmax class colour blended with white: by maxStrength where the
 * model is sure (max prob 1), fading to minStrength at chance level (1/classes), so the boundaries,
 * where no class dominates, show as pale bands. A pixel with non-finite probabilities is light grey.
 */
export function boundaryRaster(grid: BoundaryGrid, probs: ArrayLike<number>, classes: number, options: BoundaryRasterOptions = {}): Uint8ClampedArray<ArrayBuffer> {
  const pixels = grid.width * grid.height;
  if (!Number.isInteger(classes) || classes < 1) throw new Error(`boundaryRaster: classes must be a positive integer, got ${classes}`);
  if (probs.length !== pixels * classes) {
    throw new Error(`boundaryRaster: probs has ${probs.length} values, expected ${pixels} pixels x ${classes} classes = ${pixels * classes}`);
  }
  const hi = options.maxStrength ?? 0.6;
  const lo = options.minStrength ?? 0.08;
  const palette = Array.from({ length: classes }, (_, c) => hexToRgb(options.colors?.[c] ?? categoricalColor(c)));
  const white = [255, 255, 255];
  const chance = 1 / classes;
  const out = new Uint8ClampedArray(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    let best = 0;
    let bestValue = -Infinity;
    let finite = true;
    for (let c = 0; c < classes; c++) {
      const v = probs[p * classes + c];
      if (!Number.isFinite(v)) finite = false;
      else if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    let rgb: number[];
    if (!finite) rgb = [220, 220, 220];
    else {
      const conf = classes === 1 ? 1 : Math.min(1, Math.max(0, (bestValue - chance) / (1 - chance)));
      rgb = mixRgb(white, palette[best], lo + (hi - lo) * conf);
    }
    out[4 * p] = rgb[0];
    out[4 * p + 1] = rgb[1];
    out[4 * p + 2] = rgb[2];
    out[4 * p + 3] = 255;
  }
  return out;
}

export interface DecisionBoundaryOptions {
  /** Title (default "Decision boundary"). */
  title?: string;
  /** Second line under the title (default explains the shading; "" for none). */
  subtitle?: string;
  /** Side of the square plot area in px (default 420). */
  plotSize?: number;
  /** Axis labels (default ["x1", "x2"]). */
  axisLabels?: readonly [string, string];
  /** Class colours ('#rrggbb'); default categoricalColor(c). Use the same as for boundaryRaster. */
  colors?: readonly string[];
  /** Point radius in px (default from the number of points, 1.5..4.5). */
  pointRadius?: number;
  /** Draw at most this many points, an even subsample of the data (default: all). */
  maxPoints?: number;
}

/**
 * The decision-boundary figure as a standalone SVG: the raster stretched over the grid's extent,
 * the data points on top (filled with their true class colour, dark outline; points outside the
 * grid are left out), x1/x2 axes with ticks, a legend of class names, a title.
 *
 * `raster` is either an image URI for `<image href>` (normally 'data:image/png;base64,...') or the
 * RGBA array from boundaryRaster, drawn as horizontal runs of near-equal colour (<rect> elements).
 */
export function decisionBoundarySvg(
  grid: BoundaryGrid,
  raster: string | Uint8ClampedArray,
  points: Dataset,
  classNames: readonly string[],
  options: DecisionBoundaryOptions = {},
): string {
  if (points.inputs !== 2) throw new Error(`decisionBoundarySvg: ${points.name} has ${points.inputs} inputs, not 2`);
  const plot = options.plotSize ?? 420;
  const [xLabel, yLabel] = options.axisLabels ?? ['x1', 'x2'];
  const classes = Math.max(points.classes, classNames.length);
  const colors = Array.from({ length: classes }, (_, c) => options.colors?.[c] ?? categoricalColor(c));
  const fullNames = Array.from({ length: classes }, (_, c) => (classNames[c] !== undefined ? String(classNames[c]) : String(c)));
  const names = fullNames.map((s) => truncate(s, 24));
  const title = options.title ?? 'Decision boundary';
  const subtitle = options.subtitle ?? 'background: predicted class, paler where the model is less sure';

  const xTicks = ticksWithin(grid.xMin, grid.xMax, 6);
  const yTicks = ticksWithin(grid.yMin, grid.yMax, 6);
  const xStep = niceTicks(grid.xMin, grid.xMax, 6).step;
  const yStep = niceTicks(grid.yMin, grid.yMax, 6).step;
  const yLabels = yTicks.map((t) => formatTick(t, yStep));
  const yLabelW = Math.max(0, ...yLabels.map((s) => textWidth(s, 12)));

  const left = Math.ceil(22 + 8 + yLabelW + 8);
  const top = subtitle ? 58 : 42;
  const legendX = left + plot + 20;
  const legendW = 22 + Math.max(...names.map((s) => textWidth(s, 12)), textWidth('class', 12));
  const width = Math.ceil(Math.max(legendX + legendW + 16, textWidth(title, 16) + 24, textWidth(subtitle, 12) + 24));
  const legendH = 22 + classes * 18;
  const height = Math.ceil(Math.max(top + plot + 46, top + legendH + 10));
  const x0 = left;
  const y0 = top;
  const sx = (v: number) => x0 + ((v - grid.xMin) / (grid.xMax - grid.xMin)) * plot;
  const sy = (v: number) => y0 + ((grid.yMax - v) / (grid.yMax - grid.yMin)) * plot;

  const out: string[] = [];
  const cx = Math.max(width / 2, 0);
  out.push(text(cx, 24, title, 'text-anchor="middle" font-size="16" font-weight="bold"'));
  if (subtitle) out.push(text(cx, 42, subtitle, 'text-anchor="middle" fill="#555555"'));

  // Raster.
  if (typeof raster === 'string') {
    out.push(`<image class="raster" x="${num(x0)}" y="${num(y0)}" width="${num(plot)}" height="${num(plot)}" preserveAspectRatio="none" href="${escapeXml(raster)}"/>`);
  } else {
    out.push(rasterRects(raster, grid.width, grid.height, x0, y0, plot / grid.width, plot / grid.height));
  }

  // Axes.
  let ticks = '';
  for (const t of xTicks) {
    const x = sx(t);
    ticks += `M${num(x)} ${num(y0 + plot)}v5`;
    out.push(text(x, y0 + plot + 19, formatTick(t, xStep), 'text-anchor="middle"'));
  }
  yTicks.forEach((t, i) => {
    const y = sy(t);
    ticks += `M${num(x0 - 5)} ${num(y)}h5`;
    out.push(text(x0 - 8, y + 4, yLabels[i], 'text-anchor="end"'));
  });
  out.push(`<path class="ticks" d="${ticks}" stroke="#333333" stroke-width="1" fill="none"/>`);
  out.push(text(x0 + plot / 2, y0 + plot + 38, xLabel, 'text-anchor="middle" font-size="13"'));
  const ly = y0 + plot / 2;
  out.push(text(16, ly, yLabel, `text-anchor="middle" font-size="13" transform="rotate(-90 16 ${num(ly)})"`));

  // Points, in data order (no class is systematically drawn on top).
  const radius = options.pointRadius ?? Math.max(1.5, Math.min(4.5, 4.5 * Math.sqrt(200 / Math.max(1, points.size))));
  const stride = options.maxPoints !== undefined && points.size > options.maxPoints ? points.size / Math.max(1, options.maxPoints) : 1;
  out.push(`<g class="points" stroke="#222222" stroke-width="${num(Math.min(1, radius * 0.3), 2)}">`);
  for (let k = 0; k * stride < points.size; k++) {
    const i = Math.floor(k * stride);
    const x = points.x[2 * i];
    const y = points.x[2 * i + 1];
    if (!(x >= grid.xMin && x <= grid.xMax && y >= grid.yMin && y <= grid.yMax)) continue;
    out.push(`<circle cx="${num(sx(x), 1)}" cy="${num(sy(y), 1)}" r="${num(radius, 1)}" fill="${colors[points.y[i]] ?? '#888888'}"/>`);
  }
  out.push('</g>');
  out.push(`<rect class="frame" x="${num(x0)}" y="${num(y0)}" width="${num(plot)}" height="${num(plot)}" fill="none" stroke="#333333" stroke-width="1"/>`);

  // Legend.
  out.push('<g class="legend">');
  out.push(text(legendX, y0 + 10, 'class', 'font-weight="bold"'));
  names.forEach((name, c) => {
    const y = y0 + 30 + c * 18;
    const tip = name !== fullNames[c] ? `<title>${escapeXml(fullNames[c])}</title>` : '';
    out.push(
      `<g class="legend-entry"><circle cx="${num(legendX + 6)}" cy="${num(y - 4)}" r="5" fill="${colors[c]}" stroke="#222222" stroke-width="1"/>` +
        `<text x="${num(legendX + 18)}" y="${num(y)}">${tip}${escapeXml(name)}</text></g>`,
    );
  });
  out.push('</g>');
  return svgDocument(width, height, out, title);
}

/** RGBA pixels as <rect> runs: each row split where the colour drifts more than a few levels. */
function rasterRects(rgba: Uint8ClampedArray, w: number, h: number, x0: number, y0: number, pw: number, ph: number): string {
  if (rgba.length !== w * h * 4) throw new Error(`decisionBoundarySvg: raster has ${rgba.length} bytes, expected ${w}x${h}x4 = ${w * h * 4}`);
  const tol = 6;
  const parts: string[] = ['<g class="raster" shape-rendering="crispEdges">'];
  for (let r = 0; r < h; r++) {
    let start = 0;
    while (start < w) {
      const k0 = 4 * (r * w + start);
      let end = start + 1;
      let sr = rgba[k0];
      let sg = rgba[k0 + 1];
      let sb = rgba[k0 + 2];
      while (end < w) {
        const k = 4 * (r * w + end);
        if (Math.abs(rgba[k] - rgba[k0]) > tol || Math.abs(rgba[k + 1] - rgba[k0 + 1]) > tol || Math.abs(rgba[k + 2] - rgba[k0 + 2]) > tol) break;
        sr += rgba[k];
        sg += rgba[k + 1];
        sb += rgba[k + 2];
        end++;
      }
      const cnt = end - start;
      const fill = rgbToHex([sr / cnt, sg / cnt, sb / cnt]);
      // Slight overdraw (+0.5 px) hides hairline seams between runs when the figure is scaled.
      parts.push(`<rect x="${num(x0 + start * pw)}" y="${num(y0 + r * ph)}" width="${num(cnt * pw + 0.5)}" height="${num(ph + 0.5)}" fill="${fill}"/>`);
      start = end;
    }
  }
  parts.push('</g>');
  return parts.join('');
}
