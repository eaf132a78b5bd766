// A tiny strict XML well-formedness checker and tree builder for the figure tests (no dependency).
// Handles what the figures emit: elements, attributes, text, character/entity references,
// comments and an optional <?xml?> declaration. Throws on anything malformed.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Direct text content, references decoded. */
  text: string;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_.:-]*/;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(raw: string, where: number): string {
  return raw.replace(/&([^;&]*);?/g, (m, body: string) => {
    if (!m.endsWith(';')) throw new Error(`bad reference ${JSON.stringify(m)} near ${where}`);
    if (body in ENTITIES) return ENTITIES[body];
    const num = /^#([0-9]+)$/.exec(body) ?? /^#x([0-9a-fA-F]+)$/.exec(body);
    if (num) return String.fromCodePoint(parseInt(num[1], body[1] === 'x' ? 16 : 10));
    throw new Error(`unknown entity ${JSON.stringify(m)} near ${where}`);
  });
}

/** Parses `src`, returning the root element; throws with a position on malformed input. */
export function parseXml(src: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(src)) throw new Error('control character in XML');
  if (src.startsWith('<?xml')) {
    const end = src.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    i = end + 2;
  }
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const chunk = lt < 0 ? src.slice(i) : src.slice(i, lt);
    if (chunk.length) {
      if (chunk.includes('>')) throw new Error(`stray '>' in text near ${i}`);
      const t = decode(chunk, i);
      if (stack.length) stack[stack.length - 1].text += t;
      else if (t.trim()) throw new Error(`text outside the root near ${i}`);
    }
    if (lt < 0) break;
    i = lt;
    if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i + 4);
      if (end < 0) throw new Error(`unterminated comment at ${i}`);
      i = end + 3;
      continue;
    }
    if (src.startsWith('</', i)) {
      const m = NAME.exec(src.slice(i + 2));
      if (!m) throw new Error(`bad closing tag at ${i}`);
      let j = i + 2 + m[0].length;
      while (/\s/.test(src[j] ?? '')) j++;
      if (src[j] !== '>') throw new Error(`bad closing tag at ${i}`);
      const open = stack.pop();
      if (!open || open.name !== m[0]) throw new Error(`</${m[0]}> at ${i} closes <${open?.name ?? 'nothing'}>`);
      i = j + 1;
      continue;
    }
    const m = NAME.exec(src.slice(i + 1));
    if (!m) throw new Error(`bad tag at ${i}: ${JSON.stringify(src.slice(i, i + 20))}`);
    const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
    let j = i + 1 + m[0].length;
    for (;;) {
      const ws = /^\s*/.exec(src.slice(j))![0].length;
      j += ws;
      if (src.startsWith('/>', j) || src[j] === '>') break;
      if (ws === 0) throw new Error(`missing space before attribute at ${j}`);
      const a = NAME.exec(src.slice(j));
      if (!a) throw new Error(`bad attribute at ${j}: ${JSON.stringify(src.slice(j, j + 20))}`);
      j += a[0].length;
      if (src[j] !== '=') throw new Error(`attribute ${a[0]} without value at ${j}`);
      const q = src[j + 1];
      if (q !== '"' && q !== "'") throw new Error(`unquoted attribute ${a[0]} at ${j}`);
      const end = src.indexOf(q, j + 2);
      if (end < 0) throw new Error(`unterminated attribute ${a[0]} at ${j}`);
      const raw = src.slice(j + 2, end);
      if (raw.includes('<')) throw new Error(`'<' in attribute ${a[0]} at ${j}`);
      if (a[0] in el.attrs) throw new Error(`duplicate attribute ${a[0]} at ${j}`);
      el.attrs[a[0]] = decode(raw, j);
      j = end + 1;
    }
    const selfClosing = src.startsWith('/>', j);
    i = j + (selfClosing ? 2 : 1);
    if (stack.length) stack[stack.length - 1].children.push(el);
    else if (root) throw new Error(`second root element <${el.name}> at ${lt}`);
    else root = el;
    if (!selfClosing) stack.push(el);
  }
  if (stack.length) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

/** Every element under (and including) `el` that satisfies `pred`, in document order. */
export function findAll(el: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (pred(e)) out.push(e);
    e.children.forEach(walk);
  };
  walk(el);
  return out;
}

/** Elements with this tag name and, optionally, this class attribute. */
export function byTag(el: XmlElement, name: string, cls?: string): XmlElement[] {
  return findAll(el, (e) => e.name === name && (cls === undefined || (e.attrs.class ?? '').split(/\s+/).includes(cls)));
}

/** All text under `el`, <title> tooltips excluded. */
export function textOf(el: XmlElement): string {
  return el.text + el.children.filter((c) => c.name !== 'title').map(textOf).join('');
}
