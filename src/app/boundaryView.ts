// The decision boundary on a canvas: the raster of boundaryRaster (the same colours and shading as the CLI's
// decision-boundary figure) stretched over the grid's extent, the data points on top, ticked axes.

import type { Dataset } from '../data/dataset.ts';
import { categoricalColor } from '../figures/colors.ts';
import { boundaryRaster, type BoundaryGrid } from '../figures/decisionBoundary.ts';
import { formatTick, niceTicks, ticksWithin } from '../figures/svg.ts';

const MARGIN = { left: 44, right: 10, top: 10, bottom: 34 };

export class BoundaryView {
  private readonly raster = document.createElement('canvas');
  private grid: BoundaryGrid | null = null;
  private points: { train: Dataset; test: Dataset } | null = null;
  private classes = 0;
  private hasRaster = false;
  showTest = false;

  constructor(private readonly canvas: HTMLCanvasElement) {
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  /** New data (raw inputs) and grid; clears the boundary until setProbs. */
  setData(grid: BoundaryGrid | null, train: Dataset, test: Dataset, classes: number): void {
    this.grid = grid;
    this.canvas.classList.toggle('empty', grid === null);
    this.points = { train, test };
    this.classes = classes;
    this.hasRaster = false;
    if (grid) {
      this.raster.width = grid.width;
      this.raster.height = grid.height;
    }
    this.draw();
  }

  /** Class probabilities (grid pixels, classes) from trainer.predict on the grid. */
  setProbs(probs: Float32Array | null): void {
    const grid = this.grid;
    if (!grid || !probs) return;
    const pixels = boundaryRaster(grid, probs, this.classes);
    this.raster.getContext('2d')!.putImageData(new ImageData(pixels, grid.width, grid.height), 0, 0);
    this.hasRaster = true;
    this.draw();
  }

  draw(): void {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const cssW = canvas.clientWidth;
    const cssH = canvas.clientHeight;
    if (cssW === 0 || cssH === 0) return;
    if (canvas.width !== Math.round(cssW * ratio) || canvas.height !== Math.round(cssH * ratio)) {
      canvas.width = Math.round(cssW * ratio);
      canvas.height = Math.round(cssH * ratio);
    }
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    const grid = this.grid;
    const x0 = MARGIN.left;
    const y0 = MARGIN.top;
    const w = cssW - MARGIN.left - MARGIN.right;
    const h = cssH - MARGIN.top - MARGIN.bottom;
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillStyle = '#5b6473';
    if (!grid || !this.points) {
      ctx.textAlign = 'center';
      ctx.fillText(this.points ? `no decision boundary: the data has ${this.points.train.inputs} inputs, not 2` : 'no data', cssW / 2, cssH / 2);
      return;
    }
    if (this.hasRaster) {
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(this.raster, x0, y0, w, h);
    } else {
      ctx.fillStyle = '#f1f3f6';
      ctx.fillRect(x0, y0, w, h);
    }
    const sx = (v: number) => x0 + ((v - grid.xMin) / (grid.xMax - grid.xMin)) * w;
    const sy = (v: number) => y0 + ((grid.yMax - v) / (grid.yMax - grid.yMin)) * h;
    const { train, test } = this.points;
    const radius = Math.max(1.6, Math.min(4, 4 * Math.sqrt(300 / Math.max(1, train.size))));
    this.drawPoints(ctx, train, sx, sy, radius, '#1b1f27', false);
    if (this.showTest) this.drawPoints(ctx, test, sx, sy, radius, '#ffffff', true);
    ctx.strokeStyle = '#3b4250';
    ctx.lineWidth = 1;
    ctx.strokeRect(x0 + 0.5, y0 + 0.5, w - 1, h - 1);
    this.drawAxes(ctx, grid, sx, sy, x0, y0, w, h);
  }

  private drawPoints(
    ctx: CanvasRenderingContext2D,
    data: Dataset,
    sx: (v: number) => number,
    sy: (v: number) => number,
    radius: number,
    outline: string,
    square: boolean,
  ): void {
    ctx.lineWidth = Math.min(1.2, radius * 0.35);
    ctx.strokeStyle = outline;
    for (let i = 0; i < data.size; i++) {
      const px = sx(data.x[2 * i]);
      const py = sy(data.x[2 * i + 1]);
      ctx.fillStyle = categoricalColor(data.y[i]);
      ctx.beginPath();
      if (square) ctx.rect(px - radius, py - radius, 2 * radius, 2 * radius);
      else ctx.arc(px, py, radius, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
  }

  private drawAxes(
    ctx: CanvasRenderingContext2D,
    grid: BoundaryGrid,
    sx: (v: number) => number,
    sy: (v: number) => number,
    x0: number,
    y0: number,
    w: number,
    h: number,
  ): void {
    ctx.fillStyle = '#3b4250';
    ctx.strokeStyle = '#3b4250';
    ctx.beginPath();
    const xStep = niceTicks(grid.xMin, grid.xMax, 6).step;
    const yStep = niceTicks(grid.yMin, grid.yMax, 6).step;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of ticksWithin(grid.xMin, grid.xMax, 6)) {
      const x = Math.round(sx(t)) + 0.5;
      ctx.moveTo(x, y0 + h);
      ctx.lineTo(x, y0 + h + 4);
      ctx.fillText(formatTick(t, xStep), x, y0 + h + 6);
    }
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of ticksWithin(grid.yMin, grid.yMax, 6)) {
      const y = Math.round(sy(t)) + 0.5;
      ctx.moveTo(x0 - 4, y);
      ctx.lineTo(x0, y);
      ctx.fillText(formatTick(t, yStep), x0 - 6, y);
    }
    ctx.stroke();
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    ctx.fillText('x1', x0 + w / 2, y0 + h + 31);
    ctx.save();
    ctx.translate(12, y0 + h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText('x2', 0, 0);
    ctx.restore();
  }
}
