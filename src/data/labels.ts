// The label and class-count rules every file format shares (CSV, JSON), so they fail the same way.

import { InputError } from './dataset.ts';

/**
 * The largest class count a file may declare or imply. It guards against a stray huge label (a typo
 * such as 1000000) silently creating a million-way classifier.
 */
export const MAX_CLASSES = 65536;

/** Options every file parser takes. */
export interface ParseOptions {
  /** Declared number of classes: every label must be below it. Default: the largest label + 1. */
  classes?: number;
}

/** Checks options.classes; returns the bound every label must stay below. */
export function labelBound(source: string, classes: number | undefined): number {
  if (classes === undefined) return MAX_CLASSES;
  if (!Number.isInteger(classes) || classes < 1 || classes > MAX_CLASSES) {
    throw new InputError(`${source}: classes must be an integer from 1 to ${MAX_CLASSES}, got ${classes}`);
  }
  return classes;
}

/** True when v is a valid label value before the class bound: a non-negative integer. */
export function isLabelValue(v: number): boolean {
  return Number.isInteger(v) && v >= 0;
}

/** Why a non-negative integer label breaks the bound from labelBound (declared = options.classes was given). */
export function labelBoundProblem(label: number, bound: number, declared: boolean): string {
  return declared ? `label ${label} is not below the ${bound} classes` : `label ${label} is above the largest allowed, ${bound - 1}`;
}
