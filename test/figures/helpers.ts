// Shared checks for the SVG figure tests.
import { expect } from 'vitest';
import { parseXml, type XmlElement } from './xml.ts';

/** Parses the SVG and checks the document-level conventions every figure follows. */
export function checkSvg(svg: string): XmlElement {
  const root = parseXml(svg);
  expect(root.name).toBe('svg');
  expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
  expect(root.attrs.viewBox).toMatch(/^0 0 \d+(\.\d+)? \d+(\.\d+)?$/);
  expect(root.attrs['font-family']).toBe('sans-serif');
  // No NaN/Infinity/undefined leaked into the markup, no long floats (data URIs excepted).
  const markup = svg.replace(/data:image\/png;base64,[A-Za-z0-9+/=]*/g, '').replace(/#[0-9a-fA-F]{6}\b/g, '#');
  expect(markup).not.toMatch(/NaN|Infinity|undefined/);
  expect(markup).not.toMatch(/\d\.\d{6,}/);
  expect(markup).not.toMatch(/\de[+-]?\d{2,}/);
  // Geometry is written with at most 2 decimals.
  const walk = (e: XmlElement) => {
    for (const a of ['x', 'y', 'x1', 'y1', 'x2', 'y2', 'cx', 'cy', 'r', 'width', 'height']) {
      if (a in e.attrs) expect(e.attrs[a], `${e.name} ${a}`).toMatch(/^-?\d+(\.\d{1,2})?$/);
    }
    if (e.attrs.d) expect(e.attrs.d).toMatch(/^([MLHVhv]-?\d+(\.\d{1,2})?( -?\d+(\.\d{1,2})?)?)*$/);
    e.children.forEach(walk);
  };
  walk(root);
  return root;
}
