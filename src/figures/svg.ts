// Small building blocks shared by the SVG figures: XML escaping, compact number formatting, "nice"
// axis ticks, rough text-width estimates and the document wrapper. Pure string functions, browser-safe.

/** Font stack of every figure. */
export const FONT_FAMILY = 'sans-serif';

/**
 * Text for XML content or a double-quoted attribute: escapes & < > " ' and replaces characters XML
 * 1.0 forbids (control characters other than tab, newline, return; lone surrogates) by U+FFFD.
 */
export function escapeXml(text: string): string {
  return String(text)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * A coordinate or length for the markup: rounded to `digits` decimals, shortest form, no "-0".
 * Non-finite numbers become "0" so the markup always stays valid (callers drop such points first).
 */
export function num(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return '0';
  const p = 10 ** digits;
  const r = Math.round(value * p) / p;
  return r === 0 ? '0' : String(r);
}

/** The 1-2-5 step closest to `rough` (> 0) on a log scale: ..., 0.1, 0.2, 0.5, 1, 2, 5, 10, ... */
export function niceStep(rough: number): number {
  if (!(rough > 0) || !Number.isFinite(rough)) return 1;
  const exp = Math.floor(Math.log10(rough));
  const base = 10 ** exp;
  const f = rough / base;
  const m = f < Math.SQRT2 ? 1 : f < Math.sqrt(10) ? 2 : f < Math.sqrt(50) ? 5 : 10;
  return clean(m * base);
}

/** Removes floating-point noise (0.30000000000000004 -> 0.3). */
export function clean(value: number): number {
  return value === 0 ? 0 : parseFloat(value.toPrecision(12));
}

export interface Ticks {
  /** Tick values, ascending, multiples of step. */
  ticks: number[];
  step: number;
  /** First and last tick: the data range widened to whole steps. */
  min: number;
  max: number;
}

/**
 * About `target` evenly spaced ticks at a 1-2-5 step covering [min, max], widened outwards to whole
 * steps. An empty or degenerate range is widened around its value. `minStep` floors the step
 * (1 for integer axes such as epochs or counts).
 */
export function niceTicks(min: number, max: number, target = 5, minStep = 0): Ticks {
  let lo = Number.isFinite(min) ? min : 0;
  let hi = Number.isFinite(max) ? max : lo + 1;
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= d;
    hi += d;
  }
  const step = Math.max(minStep, niceStep((hi - lo) / Math.max(1, target)));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(clean(k * step));
  return { ticks, step, min: ticks[0], max: ticks[ticks.length - 1] };
}

/** The ticks of niceTicks that lie inside [min, max] (for an axis whose range is fixed). */
export function ticksWithin(min: number, max: number, target = 5, minStep = 0): number[] {
  const { ticks, step } = niceTicks(min, max, target, minStep);
  const eps = step * 1e-9;
  return ticks.filter((t) => t >= min - eps && t <= max + eps);
}

/**
 * Ticks for a log axis over [min, max] (both > 0): 1-2-5 per decade for short ranges, powers of ten
 * (every k-th decade when many) for long ones, and linear 1-2-5 ticks when the range spans less than
 * a decade and 1-2-5 would give fewer than three. Also returns the range widened to 1-2-5 values.
 */
export function logTicks(min: number, max: number, target = 6): Ticks {
  let lo = min > 0 && Number.isFinite(min) ? min : 1;
  let hi = max > 0 && Number.isFinite(max) ? max : lo * 10;
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    lo /= 2;
    hi *= 2;
  }
  const mantissas = [1, 2, 5];
  // Widen to the enclosing 1-2-5 values.
  const snapDown = (v: number) => {
    const e = Math.floor(Math.log10(v) + 1e-12);
    const f = v / 10 ** e;
    const m = f >= 5 - 1e-9 ? 5 : f >= 2 - 1e-9 ? 2 : 1;
    return clean(m * 10 ** e);
  };
  const snapUp = (v: number) => {
    const e = Math.floor(Math.log10(v) - 1e-12);
    const f = v / 10 ** e;
    const m = f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10;
    return clean(m * 10 ** e);
  };
  const dmin = snapDown(lo);
  const dmax = snapUp(hi);
  const e0 = Math.floor(Math.log10(dmin) + 1e-12);
  const e1 = Math.ceil(Math.log10(dmax) - 1e-12);
  const within = (v: number) => v >= dmin * (1 - 1e-9) && v <= dmax * (1 + 1e-9);
  let ticks: number[] = [];
  if (e1 - e0 <= 3) {
    for (let e = e0; e <= e1; e++) for (const m of mantissas) if (within(clean(m * 10 ** e))) ticks.push(clean(m * 10 ** e));
    if (ticks.length < 3) {
      const lin = niceTicks(lo, hi, 4);
      return { ticks: lin.ticks.filter((t) => t > 0), step: lin.step, min: Math.min(lo, lin.ticks.find((t) => t > 0) ?? lo), max: lin.max };
    }
  } else {
    const every = Math.max(1, Math.ceil((e1 - e0 + 1) / target));
    for (let e = e0; e <= e1; e++) if ((e - e0) % every === 0 && within(clean(10 ** e))) ticks.push(clean(10 ** e));
    ticks = ticks.length ? ticks : [dmin, dmax];
  }
  return { ticks, step: NaN, min: dmin, max: dmax };
}

/**
 * A tick label: fixed decimals matching the step when given (0.5 -> "0.5", step 0.05 -> "0.25"),
 * otherwise up to 3 significant digits; exponent form ("1e-5", "2e+6") for very small or large values.
 */
export function formatTick(value: number, step?: number): string {
  if (!Number.isFinite(value)) return '';
  if (value === 0) return '0';
  const a = Math.abs(value);
  if (a < 1e-3 || a >= 1e6) {
    const [mant, exp] = value.toExponential(2).split('e');
    return `${String(parseFloat(mant))}e${exp}`;
  }
  if (step !== undefined && step > 0 && Number.isFinite(step)) {
    const decimals = Math.min(10, Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)));
    return value.toFixed(decimals);
  }
  return String(parseFloat(value.toPrecision(3)));
}

/** Rough rendered width of `text` in a sans-serif font of `fontSize` px (average glyph ~0.58 em). */
export function textWidth(text: string, fontSize: number): number {
  let w = 0;
  for (const ch of text) {
    if ('ilj.,:;|!\'’ '.includes(ch)) w += 0.3;
    else if ('ft()[]-'.includes(ch)) w += 0.38;
    else if ('mwMW@%'.includes(ch)) w += 0.88;
    else if (ch >= 'A' && ch <= 'Z') w += 0.68;
    else if (ch.codePointAt(0)! > 0x2e80) w += 1; // CJK and other wide scripts
    else w += 0.56;
  }
  return w * fontSize;
}

/** `text` cut to at most `maxChars` characters, ending in an ellipsis when cut. */
export function truncate(text: string, maxChars: number): string {
  const chars = Array.from(text);
  return chars.length <= maxChars ? text : chars.slice(0, Math.max(1, maxChars - 1)).join('') + '\u2026';
}

/** `<text>` element; `attrs` is pre-built attribute markup, the content is escaped here. */
export function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${num(x)}" y="${num(y)}"${attrs ? ' ' + attrs : ''}>${escapeXml(content)}</text>`;
}

/**
 * The standalone SVG document: xmlns, viewBox, size, font, white background. `title` becomes the
 * accessible <title> element.
 */
export function svgDocument(width: number, height: number, body: string[], title?: string): string {
  const w = num(width);
  const h = num(height);
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="${FONT_FAMILY}" font-size="12">`;
  const lines = [head];
  if (title) lines.push(`<title>${escapeXml(title)}</title>`);
  lines.push(`<rect width="${w}" height="${h}" fill="#ffffff"/>`);
  // concat, not push(...body): a figure with 100k points would overflow the argument limit.
  return lines.concat(body, '</svg>').join('\n') + '\n';
}
