/**
 * Minimal XML tree for S3's rest-xml wire format: a parser that turns request bodies into
 * plain (JSON-serialisable) elements, and a renderer for responses.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AwsError } from '../../core/errors';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export interface XmlElement {
  name: string;
  attrs?: Record<string, string>;
  /** Text content (leaf elements). */
  text?: string;
  children?: XmlElement[];
}

/** Child spec for el(): undefined/false entries are skipped so optional fields read naturally. */
export type XmlChild = XmlElement | undefined | false;

/** Build an element: el('Key', 'a.txt'), el('Contents', [el(...), ...]). */
export function el(name: string, content?: string | number | boolean | XmlChild[], attrs?: Record<string, string>): XmlElement {
  const out: XmlElement = { name };
  if (attrs) out.attrs = attrs;
  if (Array.isArray(content)) {
    out.children = content.filter((c): c is XmlElement => Boolean(c));
  } else if (content !== undefined) {
    out.text = String(content);
  }
  return out;
}

/** Optional leaf: omitted when the value is undefined. */
export function opt(name: string, value: string | number | boolean | undefined): XmlElement | undefined {
  return value === undefined ? undefined : el(name, value);
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"'\r\n]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      case '\r':
        return '&#13;';
      default:
        return '&#10;';
    }
  });
}

function renderElement(e: XmlElement): string {
  const attrs = e.attrs
    ? Object.entries(e.attrs)
        .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
        .join('')
    : '';
  const inner = e.children ? e.children.map(renderElement).join('') : e.text !== undefined ? escapeXml(e.text) : '';
  return inner === '' ? `<${e.name}${attrs}/>` : `<${e.name}${attrs}>${inner}</${e.name}>`;
}

/** Serialise a response document, with the XML declaration AWS sends. */
export function renderXml(root: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${renderElement(root)}`;
}

/** Root element carrying the S3 namespace. */
export function s3Root(name: string, children: XmlChild[] | string): XmlElement {
  return el(name, children, { xmlns: S3_XMLNS });
}

export function malformedXml(): AwsError {
  return new AwsError(
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema',
    400,
  );
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** fast-xml-parser's preserveOrder output -> XmlElement[]. */
function convert(nodes: unknown): XmlElement[] {
  if (!Array.isArray(nodes)) return [];
  const out: XmlElement[] = [];
  for (const node of nodes) {
    if (!isRecord(node)) continue;
    for (const [key, value] of Object.entries(node)) {
      if (key === ':@' || key === '#text') continue;
      const element: XmlElement = { name: key.includes(':') ? key.slice(key.indexOf(':') + 1) : key };
      const attrs = node[':@'];
      if (isRecord(attrs)) {
        element.attrs = Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, String(v)]));
      }
      const kids = Array.isArray(value) ? value : [];
      const texts = kids.filter((k) => isRecord(k) && '#text' in k).map((k) => (isRecord(k) ? String(k['#text']) : ''));
      const elements = convert(kids);
      if (elements.length > 0) element.children = elements;
      else element.text = texts.join('');
      out.push(element);
    }
  }
  return out;
}

/**
 * Parse a request body and check its root element name. Anything that is not well-formed XML with
 * the expected root is MalformedXML, as in S3.
 */
export function parseXmlBody(body: Buffer | string, expectedRoot: string): XmlElement {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') throw malformedXml();
  if (XMLValidator.validate(text) !== true) throw malformedXml();
  let parsed: unknown;
  try {
    parsed = parser.parse(text);
  } catch {
    throw malformedXml();
  }
  const roots = convert(parsed);
  const root = roots[0];
  if (roots.length !== 1 || !root || root.name !== expectedRoot) throw malformedXml();
  return root;
}

export function children(e: XmlElement | undefined, name: string): XmlElement[] {
  return e?.children?.filter((c) => c.name === name) ?? [];
}

export function child(e: XmlElement | undefined, name: string): XmlElement | undefined {
  return e?.children?.find((c) => c.name === name);
}

/** Text of a direct child, or undefined when absent. */
export function childText(e: XmlElement | undefined, name: string): string | undefined {
  const c = child(e, name);
  if (!c) return undefined;
  return c.text ?? '';
}

/** Only these child element names may appear (MalformedXML otherwise). */
export function expectOnly(e: XmlElement, allowed: readonly string[]): void {
  for (const c of e.children ?? []) if (!allowed.includes(c.name)) throw malformedXml();
}

/** "true"/"false" (case-insensitive, as S3 accepts) -> boolean; MalformedXML otherwise. */
export function parseXmlBool(v: string | undefined, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  const t = v.trim().toLowerCase();
  if (t === 'true') return true;
  if (t === 'false') return false;
  throw malformedXml();
}
