/**
 * Transport rules (lambdas/domain/endpoints.ts): Palette https only; backup endpoints https and never a loopback,
 * link-local, metadata or unspecified address, in every spelling a resolver or URL parser accepts; both lifted
 * only by the local/testing flag.
 */
import { describe, expect, it } from 'vitest';
import { backupEndpointProblem, classifyHost, paletteEndpointProblem, parseIPv4, parseIPv6 } from '../../lambdas/domain/endpoints';

describe('Palette endpoint', () => {
  it('https is accepted', () => {
    expect(paletteEndpointProblem('https://api.spectrocloud.com', false)).toBeUndefined();
    expect(paletteEndpointProblem('https://palette.example.internal:8443/', false)).toBeUndefined();
  });

  it('http is refused unless insecure endpoints are allowed (local / testing)', () => {
    expect(paletteEndpointProblem('http://palette.example.internal', false)).toMatch(/must be an https URL/);
    expect(paletteEndpointProblem('HTTP://palette.example.internal', false)).toMatch(/must be an https URL/);
    expect(paletteEndpointProblem('http://127.0.0.1:4100', true)).toBeUndefined();
  });

  it('anything but http(s) is refused', () => {
    expect(paletteEndpointProblem('ftp://palette', true)).toMatch(/http\(s\) URL/);
    expect(paletteEndpointProblem('not a url', false)).toMatch(/http\(s\) URL/);
  });
});

describe('backup endpoint (MinIO s3Url)', () => {
  it('an https endpoint on an ordinary name or a private / public address is accepted', () => {
    for (const url of [
      'https://minio.example.com',
      'https://minio.example.com:9000/',
      'https://10.0.12.5:9000',
      'https://192.168.1.20',
      'https://[2001:db8::10]:9000',
      'https://s3.eu-west-1.amazonaws.com',
    ]) {
      expect(backupEndpointProblem(url, false), url).toBeUndefined();
    }
  });

  it('http is refused', () => {
    expect(backupEndpointProblem('http://minio.example.com:9000', false)).toMatch(/must be an https URL/);
  });

  it.each([
    ['https://127.0.0.1:9000', 'loopback'],
    ['https://127.10.20.30', 'loopback'],
    ['https://localhost:9000', 'loopback'],
    ['https://LOCALHOST.', 'loopback'],
    ['https://minio.localhost', 'loopback'],
    ['https://[::1]:9000', 'loopback'],
    ['https://[0:0:0:0:0:0:0:1]', 'loopback'],
    ['https://[::ffff:127.0.0.1]', 'loopback'],
    ['https://[::ffff:7f00:1]', 'loopback'],
    ['https://2130706433', 'loopback'],
    ['https://0x7f.1', 'loopback'],
    ['https://0x7f000001', 'loopback'],
    ['https://0177.0.0.1', 'loopback'],
    ['https://127.1', 'loopback'],
    ['https://127.0.0.1.', 'loopback'],
    ['https://169.254.169.254', 'metadata'],
    ['https://169.254.169.254./latest/meta-data/', 'metadata'],
    ['https://2852039166', 'metadata'],
    ['https://0xa9.0xfe.0xa9.0xfe', 'metadata'],
    ['https://0251.0376.0251.0376', 'metadata'],
    ['https://[::ffff:169.254.169.254]', 'metadata'],
    ['https://[::ffff:a9fe:a9fe]', 'metadata'],
    ['https://[fd00:ec2::254]', 'metadata'],
    ['https://metadata.google.internal', 'metadata'],
    ['https://metadata.google.internal.', 'metadata'],
    ['https://169.254.170.2/v2/credentials', 'link-local'],
    ['https://169.254.10.1', 'link-local'],
    ['https://[fe80::1]', 'link-local'],
    ['https://[febf::1]', 'link-local'],
    ['https://0.0.0.0:9000', 'unspecified'],
    ['https://0', 'unspecified'],
    ['https://[::]', 'unspecified'],
    ['https://user:pass@127.0.0.1:9000/bucket', 'loopback'],
  ])('%s is refused (%s)', (url, kind) => {
    const problem = backupEndpointProblem(url, false);
    const words = { loopback: 'loopback', metadata: 'metadata', 'link-local': 'link-local', unspecified: 'unspecified' } as const;
    expect(problem).toMatch(new RegExp(`must not point at an? (cloud )?${words[kind as keyof typeof words]}`));
  });

  it('a zone id (refused by the URL parser) is refused too', () => {
    expect(backupEndpointProblem('https://[fe80::1%25eth0]', false)).toBeDefined();
    expect(classifyHost('[fe80::1%eth0]')).toBe('link-local');
  });

  it('insecure endpoints allowed (the local sandbox): http and loopback are accepted, metadata and link-local never', () => {
    expect(backupEndpointProblem('http://127.0.0.1:4566', true)).toBeUndefined();
    expect(backupEndpointProblem('http://localhost:9000', true)).toBeUndefined();
    expect(backupEndpointProblem('http://169.254.169.254/latest/meta-data/', true)).toMatch(/cloud metadata service address/);
    expect(backupEndpointProblem('http://[fd00:ec2::254]', true)).toMatch(/metadata/);
    expect(backupEndpointProblem('http://169.254.10.1', true)).toMatch(/link-local/);
    expect(backupEndpointProblem('http://0.0.0.0:9000', true)).toMatch(/unspecified/);
    expect(backupEndpointProblem('http://metadata.google.internal', true)).toMatch(/metadata/);
  });

  it('anything but http(s) is refused, even with insecure endpoints allowed', () => {
    expect(backupEndpointProblem('file:///etc/passwd', true)).toMatch(/http\(s\) URL/);
    expect(backupEndpointProblem('gopher://127.0.0.1', true)).toMatch(/http\(s\) URL/);
  });
});

describe('address parsing', () => {
  it('IPv4 in the forms inet_aton accepts', () => {
    expect(parseIPv4('127.0.0.1')).toEqual([127, 0, 0, 1]);
    expect(parseIPv4('2130706433')).toEqual([127, 0, 0, 1]);
    expect(parseIPv4('0x7f.1')).toEqual([127, 0, 0, 1]);
    expect(parseIPv4('0x7F.0.0.1')).toEqual([127, 0, 0, 1]);
    expect(parseIPv4('0177.0.0.01')).toEqual([127, 0, 0, 1]);
    expect(parseIPv4('169.254.43518')).toEqual([169, 254, 169, 254]);
    expect(parseIPv4('10.0.0.1.')).toEqual([10, 0, 0, 1]);
    expect(parseIPv4('0')).toEqual([0, 0, 0, 0]);
    // as the WHATWG URL parser: a bare "0x" is 0
    expect(parseIPv4('0x')).toEqual([0, 0, 0, 0]);
  });

  it('IPv4: not numeric, out of range or too many parts is not an address', () => {
    for (const host of ['example.com', '1.2.3.4.5', '256.0.0.1', '4294967296', '08.0.0.1', '1..2', '', '.', '127.0.0.1..']) {
      expect(parseIPv4(host), host).toBeUndefined();
    }
  });

  it('IPv6 with ::, brackets, zones and embedded IPv4', () => {
    expect(parseIPv6('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('[::1]')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('fe80::1%eth0')).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('::ffff:169.254.169.254')).toEqual([0, 0, 0, 0, 0, 0xffff, 0xa9fe, 0xa9fe]);
    expect(parseIPv6('2001:db8:0:0:0:0:0:1')).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
    for (const host of ['1:2:3', '1::2::3', '12345::', 'g::1', '127.0.0.1', '1:2:3:4:5:6:7:8:9']) expect(parseIPv6(host), host).toBeUndefined();
  });

  it('ordinary names and addresses are not classified', () => {
    for (const host of ['minio.example.com', '10.1.2.3', '172.16.0.1', '[2001:db8::1]', 'localhostile.example.com', 'metadata.example.com']) {
      expect(classifyHost(host), host).toBeUndefined();
    }
  });
});
