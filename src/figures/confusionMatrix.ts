// Confusion-matrix heat map: counts coloured on the viridis scale with the count written in each
// cell, per-class recall (right column) and precision (bottom row), and a colour bar. Standalone SVG.

import type { Evaluation } from '../train/metrics.ts';
import { rgbToHex, sequential, textColorOn } from './colors.ts';
import { escapeXml, formatTick, num, svgDocument, text, textWidth, ticksWithin, truncate } from './svg.ts';

export interface ConfusionMatrixOptions {
  /** Title before the accuracy (default "Confusion matrix"); the accuracy is always appended. */
  title?: string;
  /** Side of one cell in px (default: 420 / classes, clamped to 36..72). */
  cellSize?: number;
  /** Class names longer than this are cut with an ellipsis (full name in the tooltip; default 16). */
  maxLabelChars?: number;
  /**
   * How counts map to colour: 'linear' (default) or 'log' (log(1 + count)), which makes the small
   * off-diagonal counts of a well-trained model visible next to a large diagonal.
   */
  colorScale?: 'linear' | 'log';
}

const LABEL_FONT = 12;
const GAP = 8;

/**
 * The confusion matrix of `evaluation` (rows: true class, columns: predicted class) as a standalone
 * SVG sized to its content. Each cell is coloured by its count (viridis, 0 .. largest count, shown on
 * the colour bar) and shows the count in black or white for contrast. The title gives the accuracy
 * and sample count; recall per true class sits right of each row and precision per predicted class
 * under each column ("–" where undefined).
 */
export function confusionMatrixSvg(evaluation: Evaluation, classNames: readonly string[], options: ConfusionMatrixOptions = {}): string {
  const m = evaluation.confusion;
  const n = m.length;
  if (n === 0) throw new Error('confusionMatrixSvg: the confusion matrix has no classes');
  for (const row of m) if (row.length !== n) throw new Error(`confusionMatrixSvg: confusion matrix is not ${n}x${n}`);
  const maxChars = options.maxLabelChars ?? 16;
  const fullNames = Array.from({ length: n }, (_, c) => (classNames[c] !== undefined ? String(classNames[c]) : String(c)));
  const names = fullNames.map((s) => truncate(s, maxChars));
  const cs = options.cellSize ?? Math.max(36, Math.min(72, Math.round(420 / n)));
  let maxCount = 0;
  for (const row of m) for (const v of row) if (Number.isFinite(v) && v > maxCount) maxCount = v;
  const scaleMax = maxCount > 0 ? maxCount : 1;
  const logScale = options.colorScale === 'log';
  /** Position of a count on the colour scale, 0..1. */
  const level = (v: number) => (!(v > 0) ? 0 : logScale ? Math.log1p(v) / Math.log1p(scaleMax) : v / scaleMax);

  // Horizontal extents.
  const nameW = Math.max(...names.map((s) => textWidth(s, LABEL_FONT)), textWidth('precision', LABEL_FONT));
  const axisLabelX = 18; // centre of the rotated "true class" label
  const rowLabelRight = axisLabelX + 14 + nameW; // right edge of the row labels
  const mx = Math.ceil(rowLabelRight + GAP); // matrix left
  const matrixW = n * cs;
  const recallW = Math.max(44, textWidth('recall', LABEL_FONT) + 12);
  const recallX = mx + matrixW + GAP; // recall column left
  const barX = recallX + recallW + 18;
  const barW = 14;
  const barTicks = logScale ? logCountTicks(scaleMax) : ticksWithin(0, scaleMax, 5, 1);
  const barStep = logScale ? 1 : barTicks.length > 1 ? barTicks[1] - barTicks[0] : 1;
  const barLabelW = Math.max(...barTicks.map((t) => textWidth(formatTick(t, barStep), 11)));
  const countLabelX = barX + barW + 8 + barLabelW + 14;

  // Column labels: horizontal when they fit a cell, else rotated -45 degrees (reading up and right).
  const colLabels = [...names, 'recall'];
  const rotated = names.some((s) => textWidth(s, LABEL_FONT) > cs - 6);
  const colLabelH = rotated ? Math.max(...colLabels.map((s) => textWidth(s, LABEL_FONT))) * Math.SQRT1_2 + 14 : 18;
  const rotatedOverhang = rotated
    ? Math.max(...colLabels.map((s, i) => (i < n ? mx + (i + 0.5) * cs : recallX + recallW / 2) + textWidth(s, LABEL_FONT) * Math.SQRT1_2 + 10))
    : 0;

  // Title and subtitle.
  const accuracy = Number.isFinite(evaluation.accuracy) ? `${(evaluation.accuracy * 100).toFixed(1)}%` : 'n/a';
  const title = `${options.title ?? 'Confusion matrix'} \u2014 accuracy ${accuracy}`;
  const lossText = Number.isFinite(evaluation.loss) ? `, mean cross-entropy ${formatTick(evaluation.loss)}` : '';
  const subtitle = `${groupDigits(evaluation.size)} samples${lossText}`;

  const width = Math.ceil(Math.max(countLabelX + 12, rotatedOverhang, textWidth(title, 16) * 1.05 + 24, textWidth(subtitle, 12) + 24));
  const titleH = 50;
  const predLabelY = titleH + 12; // baseline of "predicted class"
  const my = Math.ceil(predLabelY + 10 + colLabelH); // matrix top
  const matrixH = n * cs;
  const precisionY = my + matrixH + 20; // baseline of the precision row
  const height = Math.ceil(precisionY + 16);

  const out: string[] = [];
  out.push(text(width / 2, 24, title, 'text-anchor="middle" font-size="16" font-weight="bold"'));
  out.push(text(width / 2, 42, subtitle, 'text-anchor="middle" fill="#555555"'));
  out.push(text(mx + matrixW / 2, predLabelY, 'predicted class', 'text-anchor="middle" font-size="13" font-weight="bold"'));
  const midY = my + matrixH / 2;
  out.push(text(axisLabelX, midY, 'true class', `text-anchor="middle" font-size="13" font-weight="bold" transform="rotate(-90 ${num(axisLabelX)} ${num(midY)})"`));

  // Column labels (the last one heads the recall column).
  out.push('<g class="col-labels">');
  colLabels.forEach((label, i) => {
    const cx = i < n ? mx + (i + 0.5) * cs : recallX + recallW / 2;
    const tip = i < n && fullNames[i] !== label ? `<title>${escapeXml(fullNames[i])}</title>` : '';
    const style = i < n ? '' : ' font-style="italic" fill="#555555"';
    if (rotated) {
      const y = my - 8;
      out.push(`<text x="${num(cx)}" y="${num(y)}" transform="rotate(-45 ${num(cx)} ${num(y)})"${style}>${tip}${escapeXml(label)}</text>`);
    } else {
      out.push(`<text x="${num(cx)}" y="${num(my - 7)}" text-anchor="middle"${style}>${tip}${escapeXml(label)}</text>`);
    }
  });
  out.push('</g>');

  // Row labels.
  out.push('<g class="row-labels" text-anchor="end">');
  names.forEach((label, r) => {
    const tip = fullNames[r] !== label ? `<title>${escapeXml(fullNames[r])}</title>` : '';
    out.push(`<text x="${num(rowLabelRight)}" y="${num(my + (r + 0.5) * cs + 4)}">${tip}${escapeXml(label)}</text>`);
  });
  out.push(`<text x="${num(rowLabelRight)}" y="${num(precisionY)}" font-style="italic" fill="#555555">precision</text>`);
  out.push('</g>');

  // Cells.
  const digits = String(Math.round(maxCount)).length;
  const countFont = Math.max(8, Math.min(15, cs * 0.32, (cs * 0.86) / (digits * 0.58)));
  out.push(`<g class="cells" text-anchor="middle" font-size="${num(countFont, 1)}">`);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const v = m[r][c];
      const rgb = sequential(level(v));
      const x = mx + c * cs;
      const y = my + r * cs;
      const label = Number.isFinite(v) ? String(v) : '?';
      out.push(
        `<rect class="cell" data-row="${r}" data-col="${c}" x="${num(x)}" y="${num(y)}" width="${num(cs)}" height="${num(cs)}" fill="${rgbToHex(rgb)}" stroke="#ffffff" stroke-width="1">` +
          `<title>true ${escapeXml(fullNames[r])}, predicted ${escapeXml(fullNames[c])}: ${escapeXml(label)}</title></rect>`,
      );
      out.push(`<text class="count" x="${num(x + cs / 2)}" y="${num(y + cs / 2 + countFont * 0.36)}" fill="${textColorOn(rgb)}"${r === c ? ' font-weight="bold"' : ''}>${escapeXml(label)}</text>`);
    }
  }
  out.push('</g>');

  // Recall column and precision row.
  const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '\u2013');
  out.push('<g class="recall" text-anchor="middle">');
  for (let r = 0; r < n; r++) out.push(text(recallX + recallW / 2, my + (r + 0.5) * cs + 4, fmt(evaluation.recall[r])));
  out.push('</g>');
  out.push('<g class="precision" text-anchor="middle">');
  for (let c = 0; c < n; c++) out.push(text(mx + (c + 0.5) * cs, precisionY, fmt(evaluation.precision[c])));
  out.push('</g>');

  // Colour bar: stacked strips from 0 (bottom) to the largest count (top), ticked.
  const strips = 64;
  out.push('<g class="colorbar">');
  for (let k = 0; k < strips; k++) {
    const y = my + matrixH - ((k + 1) / strips) * matrixH;
    out.push(`<rect x="${num(barX)}" y="${num(y)}" width="${barW}" height="${num(matrixH / strips + 0.6)}" fill="${rgbToHex(sequential((k + 0.5) / strips))}"/>`);
  }
  out.push(`<rect x="${num(barX)}" y="${num(my)}" width="${barW}" height="${num(matrixH)}" fill="none" stroke="#333333" stroke-width="1"/>`);
  let tickPath = '';
  let lastY = Infinity;
  for (const t of barTicks) {
    const y = my + matrixH - level(t) * matrixH;
    if (lastY - y < 13) continue; // keep labels from overlapping near 0 on the log scale
    lastY = y;
    tickPath += `M${num(barX + barW)} ${num(y)}h4`;
    out.push(text(barX + barW + 7, y + 4, formatTick(t, barStep), 'class="colorbar-tick" font-size="11"'));
  }
  out.push(`<path d="${tickPath}" stroke="#333333" stroke-width="1"/>`);
  out.push(text(countLabelX, midY, logScale ? 'count (log scale)' : 'count', `text-anchor="middle" fill="#555555" transform="rotate(90 ${num(countLabelX)} ${num(midY)})"`));
  out.push('</g>');

  return svgDocument(width, height, out, title);
}

/** Colour-bar ticks for the log(1 + count) scale: 0, then 1-2-5 or powers of ten up to max. */
function logCountTicks(max: number): number[] {
  const decades = Math.log10(Math.max(1, max));
  const mantissas = decades <= 2 ? [1, 2, 5] : decades <= 4 ? [1, 3] : [1];
  const ticks = [0];
  for (let e = 0; 10 ** e <= max; e++) for (const m of mantissas) if (m * 10 ** e <= max) ticks.push(m * 10 ** e);
  return ticks;
}

/** 1234567 -> "1,234,567" (locale-independent). */
function groupDigits(n: number): string {
  return Number.isInteger(n) ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : String(n);
}
