import { describe, expect, it } from 'vitest';
import { byTag, parseXml, textOf } from './xml.ts';

describe('the test XML checker', () => {
  it('accepts well-formed markup and builds the tree', () => {
    const root = parseXml('<svg a="1 &amp; 2"><g><text>x &lt; y</text><rect/></g><!-- c --></svg>\n');
    expect(root.attrs.a).toBe('1 & 2');
    expect(byTag(root, 'rect')).toHaveLength(1);
    expect(textOf(root)).toBe('x < y');
  });
  it.each([
    ['<a><b></a></b>'],
    ['<a>'],
    ['<a x=1/>'],
    ['<a x="1" x="2"/>'],
    ['<a>1 & 2</a>'],
    ['<a>1 < 2</a>'],
    ['<a x="<"/>'],
    ['<a/><b/>'],
    ['<a>&foo;</a>'],
    ['<a y="1"x="2"/>'],
  ])('rejects %s', (src) => {
    expect(() => parseXml(src)).toThrow();
  });
});
