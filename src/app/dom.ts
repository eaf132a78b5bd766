// Small DOM helpers the page's views share.

import { categoricalColor } from '../figures/colors.ts';

/** The element of index.html with this id; a missing one is a bug in the page. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el as T;
}

/** Legend entries: a swatch in categorical colour i before names[i]. */
export function legendItems(names: readonly string[]): HTMLElement[] {
  return names.map((name, i) => {
    const item = document.createElement('span');
    item.className = 'legend-item';
    const swatch = document.createElement('i');
    swatch.style.background = categoricalColor(i);
    item.append(swatch, name);
    return item;
  });
}

/** A redraw done at most every `intervalMs`: soon() draws now when the last draw is that old, else once the time is up. */
export class ThrottledDraw {
  private last = -Infinity;
  private timer: number | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly draw: () => void,
  ) {}

  soon(): void {
    if (this.timer !== null) return;
    const wait = this.last + this.intervalMs - performance.now();
    if (wait <= 0) this.now();
    else this.timer = window.setTimeout(() => this.now(), wait);
  }

  now(): void {
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
    this.last = performance.now();
    this.draw();
  }
}
