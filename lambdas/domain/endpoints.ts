/**
 * Transport rules for the endpoints the workflow sends secrets to (README "Before the first tenant"):
 *
 * - the Palette API endpoint gets the API key (and, self-hosted, the system console password): https only,
 *   unless the deployment is a local / test one (`allowInsecureEndpoints`, env ALLOW_INSECURE_ENDPOINTS);
 * - a backup endpoint (the MinIO `s3Url`) gets the location's keys from the workflow's own probe and, through
 *   Palette, from every backup agent: https only, and never a loopback, link-local, cloud metadata or unspecified
 *   address (the Lambda would otherwise probe its own host or the metadata service with the tenant's keys),
 *   unless the deployment allows insecure endpoints (the local sandbox is http on 127.0.0.1).
 *
 * Addresses are classified from the URL's host as written AND as the WHATWG URL parser normalizes it, with a
 * parser of its own for the numeric IPv4 forms resolvers accept (`2130706433`, `0x7f.1`, `0177.0.0.1`), bracketed
 * IPv6 (including IPv4-mapped and -compatible forms) and trailing dots. A DNS name that RESOLVES to such an address
 * is not detected (no resolution here): out of scope, documented. Pure.
 */

/** Why a URL may not be used, or undefined when it may. */
export type EndpointProblem = string | undefined;

/** What an address is, for the backup-endpoint rule. */
export type AddressClass = 'loopback' | 'link-local' | 'metadata' | 'unspecified';

/** Host names that always mean the local host or a cloud metadata service (compared without a trailing dot). */
const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']);
const METADATA_NAMES = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.com',
]);

/**
 * An IPv4 address as `inet_aton` and the WHATWG URL parser accept it: 1 to 4 dot-separated parts, each decimal,
 * octal (leading 0) or hex (0x); the last part fills the remaining bytes (`127.1`, `2130706433`). A single
 * trailing dot is allowed. Returns the 4 bytes, or undefined when `host` is not a numeric IPv4 address.
 */
export function parseIPv4(host: string): [number, number, number, number] | undefined {
  let text = host;
  if (text.endsWith('.')) text = text.slice(0, -1);
  if (text === '') return undefined;
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]*$/i.test(part)) value = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]+$/.test(part)) value = parseInt(part.slice(1), 8);
    else if (/^(0|[1-9][0-9]*)$/.test(part)) value = parseInt(part, 10);
    else return undefined;
    if (!Number.isSafeInteger(value)) return undefined;
    values.push(value);
  }
  const last = values.pop() as number;
  if (values.some((v) => v > 255)) return undefined;
  if (last >= 256 ** (4 - values.length)) return undefined;
  let n = last;
  values.forEach((v, i) => {
    n += v * 256 ** (3 - i);
  });
  return [Math.floor(n / 2 ** 24) % 256, Math.floor(n / 2 ** 16) % 256, Math.floor(n / 2 ** 8) % 256, n % 256];
}

/**
 * An IPv6 address (optionally in brackets, optionally with a zone `%eth0`, optionally ending in an embedded
 * IPv4 address) as 8 16-bit groups, or undefined when `host` is not one.
 */
export function parseIPv6(host: string): number[] | undefined {
  let text = host;
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (!text.includes(':')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const items = s.split(':');
    for (const [i, item] of items.entries()) {
      if (i === items.length - 1 && item.includes('.')) {
        const v4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(item) ? item.split('.').map(Number) : undefined;
        if (!v4 || v4.some((b) => b > 255)) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
        continue;
      }
      if (!/^[0-9a-f]{1,4}$/i.test(item)) return undefined;
      out.push(parseInt(item, 16));
    }
    return out;
  };
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

function classifyIPv4([a, b, c, d]: [number, number, number, number]): AddressClass | undefined {
  if (a === 169 && b === 254 && c === 169 && d === 254) return 'metadata';
  // Amazon Time Sync / DNS on 169.254.169.123 / .253 and ECS task metadata 169.254.170.2 are link-local too.
  if (a === 169 && b === 254) return 'link-local';
  if (a === 127) return 'loopback';
  if (a === 0) return 'unspecified';
  // Alibaba Cloud's metadata service (not link-local).
  if (a === 100 && b === 100 && c === 100 && d === 200) return 'metadata';
  return undefined;
}

function classifyIPv6(g: number[]): AddressClass | undefined {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const zeroHead = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible, deprecated) carry an IPv4 address.
  if (zeroHead && (g5 === 0xffff || (g5 === 0 && (g6 !== 0 || g7 > 1)))) {
    return classifyIPv4([g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff]);
  }
  if (zeroHead && g5 === 0 && g6 === 0 && g7 === 1) return 'loopback';
  if (zeroHead && g5 === 0 && g6 === 0 && g7 === 0) return 'unspecified';
  // EC2's IPv6 instance metadata endpoint fd00:ec2::254.
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 0x254) return 'metadata';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  return undefined;
}

/** What a URL host (as written or as normalized) is, or undefined for an ordinary name or address. */
export function classifyHost(host: string): AddressClass | undefined {
  const lower = host.trim().toLowerCase();
  const bare = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
  const v6 = parseIPv6(bare);
  if (v6) return classifyIPv6(v6);
  const v4 = parseIPv4(bare);
  if (v4) return classifyIPv4(v4);
  const name = bare.replace(/\.+$/, '');
  if (LOOPBACK_NAMES.has(name) || name.endsWith('.localhost')) return 'loopback';
  if (METADATA_NAMES.has(name)) return 'metadata';
  return undefined;
}

/** The host part of a URL exactly as written (userinfo and port removed), or undefined when there is none. */
function rawHost(url: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url.trim());
  if (!m) return undefined;
  const authority = (m[1] ?? '').replace(/^.*@/, '');
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    return end < 0 ? authority : authority.slice(0, end + 1);
  }
  return authority.replace(/:[^:]*$/, '');
}

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

const ADDRESS_WORDS: Record<AddressClass, string> = {
  loopback: 'a loopback address',
  'link-local': 'a link-local address',
  metadata: 'a cloud metadata service address',
  unspecified: 'an unspecified address',
};

/**
 * The Palette API endpoint receives the API key (and the system console password): https only, unless this
 * deployment explicitly allows insecure endpoints (local / testing).
 */
export function paletteEndpointProblem(url: string, allowInsecure: boolean): EndpointProblem {
  const parsed = parseUrl(url);
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) return 'must be an http(s) URL';
  if (parsed.protocol === 'http:' && !allowInsecure) {
    return 'must be an https URL: the Palette API key would travel in clear text over http (http is allowed only with allowInsecureEndpoints, for local testing)';
  }
  return undefined;
}

/**
 * A backup endpoint (MinIO `s3Url`) receives the location's keys: https only, and not a loopback, link-local,
 * metadata or unspecified address. A deployment that allows insecure endpoints (the local sandbox: http on
 * 127.0.0.1) may use http and loopback; link-local, metadata and unspecified addresses stay refused everywhere.
 * A DNS name resolving to such an address is not detected.
 */
export function backupEndpointProblem(url: string, allowInsecure: boolean): EndpointProblem {
  const parsed = parseUrl(url);
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) return 'must be an http(s) URL';
  if (parsed.protocol !== 'https:' && !allowInsecure) return 'must be an https URL: the backup location\'s keys would travel in clear text over http';
  for (const host of [rawHost(url), parsed.hostname]) {
    if (host === undefined) continue;
    const kind = classifyHost(host);
    if (kind === 'loopback' && allowInsecure) continue;
    if (kind) return `must not point at ${ADDRESS_WORDS[kind]} (${host})`;
  }
  return undefined;
}
