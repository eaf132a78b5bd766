// Colours for the figures: a categorical palette for classes, a viridis sequential scale for
// magnitudes, and small hex/RGB helpers. Pure functions, no DOM or Node API: shared by the CLI and
// the browser app.

/** An sRGB colour, channels 0..255. */
export type Rgb = [number, number, number];

/**
 * Ten class colours: Okabe-Ito (colour-blind safe, without its black) first, then three darker hues
 * from Paul Tol's palettes, and the light yellow last so it only appears with 10 classes.
 */
export const CATEGORICAL: readonly string[] = [
  '#0072b2', // blue
  '#e69f00', // orange
  '#009e73', // bluish green
  '#d55e00', // vermillion
  '#cc79a7', // reddish purple
  '#56b4e9', // sky blue
  '#882255', // wine
  '#8c510a', // brown
  '#332288', // indigo
  '#f0e442', // yellow
];

/**
 * Colour of class `index` as '#rrggbb'. Beyond the ten palette colours it cycles, darkening the
 * second round, lightening the third, and so on alternately, so up to 30 classes stay distinct.
 */
export function categoricalColor(index: number): string {
  const n = CATEGORICAL.length;
  const i = Math.max(0, Math.floor(index));
  const base = CATEGORICAL[i % n];
  const round = Math.floor(i / n);
  if (round === 0) return base;
  const toward: Rgb = round % 2 === 1 ? [0, 0, 0] : [255, 255, 255];
  return rgbToHex(mixRgb(hexToRgb(base), toward, 0.4));
}

/** The colours of classes 0..count-1. */
export function classColors(count: number): string[] {
  return Array.from({ length: count }, (_, c) => categoricalColor(c));
}

/** Viridis (matplotlib) sampled at t = 0, 0.1, ..., 1. */
export const VIRIDIS_STOPS: readonly string[] = [
  '#440154',
  '#482475',
  '#414487',
  '#355f8d',
  '#2a788e',
  '#21918c',
  '#22a884',
  '#44bf70',
  '#7ad151',
  '#bddf26',
  '#fde725',
];

const viridisRgb: readonly Rgb[] = VIRIDIS_STOPS.map(hexToRgb);

/**
 * Sequential colour scale (viridis: dark purple at 0, yellow at 1), linearly interpolated between
 * the stops. t is clamped to [0, 1]; NaN gives the colour of 0. Channels are rounded integers.
 */
export function sequential(t: number): Rgb {
  const x = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t));
  const pos = x * (viridisRgb.length - 1);
  const i = Math.min(viridisRgb.length - 2, Math.floor(pos));
  const c = mixRgb(viridisRgb[i], viridisRgb[i + 1], pos - i);
  return [Math.round(c[0]), Math.round(c[1]), Math.round(c[2])];
}

/** sequential(t) as '#rrggbb'. */
export function sequentialHex(t: number): string {
  return rgbToHex(sequential(t));
}

/** '#rgb' or '#rrggbb' (the '#' optional, any case) to [r, g, b]; throws on anything else. */
export function hexToRgb(hex: string): Rgb {
  const h = hex.startsWith('#') ? hex.slice(1) : hex;
  if (/^[0-9a-fA-F]{3}$/.test(h)) {
    return [parseInt(h[0] + h[0], 16), parseInt(h[1] + h[1], 16), parseInt(h[2] + h[2], 16)];
  }
  if (/^[0-9a-fA-F]{6}$/.test(h)) {
    return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
  }
  throw new Error(`not a hex colour: ${JSON.stringify(hex)}`);
}

/** [r, g, b] (rounded and clamped to 0..255) to '#rrggbb'. */
export function rgbToHex(rgb: readonly number[]): string {
  let s = '#';
  for (let k = 0; k < 3; k++) {
    const v = Math.min(255, Math.max(0, Math.round(rgb[k] || 0)));
    s += v.toString(16).padStart(2, '0');
  }
  return s;
}

/** a + (b - a) * t per channel, not rounded. */
export function mixRgb(a: readonly number[], b: readonly number[], t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** WCAG relative luminance of an sRGB colour, 0 (black) .. 1 (white). */
export function relativeLuminance(rgb: readonly number[]): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]);
}

/** Black or white, whichever contrasts more with the background colour. */
export function textColorOn(background: readonly number[]): '#000000' | '#ffffff' {
  // Contrast ratios against black and white are equal at luminance ~0.179.
  return relativeLuminance(background) > 0.179 ? '#000000' : '#ffffff';
}
