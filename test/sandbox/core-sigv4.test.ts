/**
 * SigV4 parsing/verification (pure) against AWS's published examples, cross-checked with the
 * reference signer (@smithy/signature-v4) on awkward paths and queries, plus aws-chunked decoding.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { decodeAwsChunked, isAwsChunked } from '../../local/aws/core/chunked';
import { parseSigV2, sigV2Sign, sigV2StringToSign } from '../../local/aws/core/sigv2';
import { NodeSha256 } from './core-fixtures';
import {
  canonicalQuery,
  canonicalUri,
  EMPTY_SHA256,
  parseAuth,
  sha256Hex,
  verifySignature,
  type SigV4Auth,
} from '../../local/aws/core/sigv4';

const S3_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SUITE_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

function auth(rawHeaders: string[], rawQuery = ''): SigV4Auth {
  const p = parseAuth(rawHeaders, rawQuery);
  if (p.kind !== 'ok') throw new Error(`expected a parsed signature, got ${p.kind}`);
  return p.auth;
}

describe('AWS published SigV4 examples', () => {
  it('verifies the signature test suite get-vanilla request (and rejects a wrong secret)', () => {
    const raw = [
      'Host',
      'example.amazonaws.com',
      'X-Amz-Date',
      '20150830T123600Z',
      'Authorization',
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    ];
    const a = auth(raw);
    expect(a.credential).toEqual({ accessKeyId: 'AKIDEXAMPLE', date: '20150830', region: 'us-east-1', service: 'service' });
    expect(a.signedHeaders).toEqual(['host', 'x-amz-date']);
    const base = { auth: a, method: 'GET', rawPath: '/', rawQuery: '', rawHeaders: raw, payloadHash: EMPTY_SHA256, s3: false };
    expect(verifySignature({ ...base, secretAccessKey: SUITE_SECRET })).toEqual({ ok: true });
    const wrong = verifySignature({ ...base, secretAccessKey: S3_SECRET });
    expect(wrong.ok).toBe(false);
    if (!wrong.ok && wrong.reason === 'signature') {
      expect(wrong.canonicalRequest).toBe(
        ['GET', '/', '', 'host:example.amazonaws.com', 'x-amz-date:20150830T123600Z', '', 'host;x-amz-date', EMPTY_SHA256].join('\n'),
      );
    }
  });

  it('verifies the S3 documentation examples (GET object with Range, ?lifecycle, ?max-keys&prefix)', () => {
    const headers = (sig: string, signed: string, extra: string[] = []) => [
      'Host',
      'examplebucket.s3.amazonaws.com',
      ...extra,
      'x-amz-content-sha256',
      EMPTY_SHA256,
      'x-amz-date',
      '20130524T000000Z',
      'Authorization',
      `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=${signed},Signature=${sig}`,
    ];
    const cases: Array<[string, string, string[], string]> = [
      ['/test.txt', '', headers('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41', 'host;range;x-amz-content-sha256;x-amz-date', ['Range', 'bytes=0-9']), 'GET object'],
      ['/', 'lifecycle', headers('fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543', 'host;x-amz-content-sha256;x-amz-date'), 'lifecycle'],
      ['/', 'max-keys=2&prefix=J', headers('34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7', 'host;x-amz-content-sha256;x-amz-date'), 'list'],
    ];
    for (const [path, query, raw, label] of cases) {
      const r = verifySignature({ auth: auth(raw, query), secretAccessKey: S3_SECRET, method: 'GET', rawPath: path, rawQuery: query, rawHeaders: raw, payloadHash: EMPTY_SHA256, s3: true });
      expect(r, label).toEqual({ ok: true });
    }
  });

  it('verifies the S3 documentation presigned URL example and parses its expiry', () => {
    const query =
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
    const raw = ['Host', 'examplebucket.s3.amazonaws.com'];
    const a = auth(raw, query);
    expect(a).toMatchObject({ presigned: true, expiresSeconds: 86400, amzDate: '20130524T000000Z' });
    expect(verifySignature({ auth: a, secretAccessKey: S3_SECRET, method: 'GET', rawPath: '/test.txt', rawQuery: query, rawHeaders: raw, payloadHash: 'UNSIGNED-PAYLOAD', s3: true })).toEqual({ ok: true });
    // Same URL for another object fails.
    expect(verifySignature({ auth: a, secretAccessKey: S3_SECRET, method: 'GET', rawPath: '/other.txt', rawQuery: query, rawHeaders: raw, payloadHash: 'UNSIGNED-PAYLOAD', s3: true }).ok).toBe(false);
  });
});

describe('parseAuth', () => {
  it('returns none without credentials and malformed for broken headers', () => {
    expect(parseAuth(['Host', 'x'], '').kind).toBe('none');
    const noSig = parseAuth(['Authorization', 'AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host', 'X-Amz-Date', '20150830T123600Z'], '');
    expect(noSig).toMatchObject({ kind: 'malformed', credential: { service: 'iam' } });
    expect(parseAuth(['Authorization', 'AWS4-HMAC-SHA256 Credential=AKID/2015/us-east-1, SignedHeaders=host, Signature=ab'], '').kind).toBe('malformed');
    expect(parseAuth(['Authorization', 'AWS AKID:signature'], '')).toMatchObject({ kind: 'malformed', unsupportedAlgorithm: true });
    expect(parseAuth(['Authorization', 'AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=ab'], '').kind).toBe('malformed');
  });

  it('reads the session token from the header or presigned query', () => {
    const h = auth([
      'Authorization',
      'AWS4-HMAC-SHA256 Credential=ASIA/20150830/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab',
      'X-Amz-Date',
      '20150830T123600Z',
      'X-Amz-Security-Token',
      'tok',
    ]);
    expect(h.securityToken).toBe('tok');
    const q = auth(
      [],
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Security-Token=a%2Bb&X-Amz-Signature=ab',
    );
    expect(q.securityToken).toBe('a+b');
  });
});

describe('canonicalisation', () => {
  it('encodes paths once for S3 and twice (normalised) for other services', () => {
    expect(canonicalUri('/my%20bucket/a%2Bb/./c', true)).toBe('/my%20bucket/a%2Bb/./c');
    expect(canonicalUri('/documents%20and%20settings/', false)).toBe('/documents%2520and%2520settings/');
    expect(canonicalUri('/a/./b/../c', false)).toBe('/a/c');
    expect(canonicalUri('', false)).toBe('/');
  });

  it('sorts and re-encodes query parameters, keeping empty values', () => {
    expect(canonicalQuery('b=2&a=1&a=0&acl&x=%7E%20+')).toBe('a=0&a=1&acl=&b=2&x=~%20%20');
    expect(canonicalQuery('X-Amz-Signature=abc&k=v', 'X-Amz-Signature')).toBe('k=v');
  });
});

describe('agreement with the reference signer (@smithy/signature-v4)', () => {
  const credentials = { accessKeyId: 'AKIAEXAMPLEKEY123456', secretAccessKey: 'secret/with+chars=' };

  async function check(service: string, path: string, query: Record<string, string | string[]>, body: string, headers: Record<string, string>) {
    const signer = new SignatureV4({ service, region: 'eu-west-1', credentials, sha256: NodeSha256, uriEscapePath: service !== 's3' });
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 4566, path, query, headers: { host: '127.0.0.1:4566', ...headers }, body });
    const rawHeaders = Object.entries(signed.headers).flat();
    const rawQuery = Object.entries(query)
      .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`))
      .join('&');
    const a = auth(rawHeaders, rawQuery);
    const payloadHash = signed.headers['x-amz-content-sha256'] ?? sha256Hex(body);
    const input = { auth: a, secretAccessKey: credentials.secretAccessKey, method: 'POST', rawPath: path, rawQuery, rawHeaders, payloadHash, s3: service === 's3' };
    expect(verifySignature(input), `${service} ${path}?${rawQuery}`).toEqual({ ok: true });
    expect(verifySignature({ ...input, payloadHash: sha256Hex(`${body}x`) }).ok).toBe(false);
  }

  it('verifies what the reference signer produces for query, json and rest-xml shaped requests', async () => {
    await check('iam', '/', {}, 'Action=ListRoles&Version=2010-05-08', { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' });
    await check('secretsmanager', '/', {}, '{"SecretId":"a b"}', { 'x-amz-target': 'secretsmanager.GetSecretValue', 'content-type': 'application/x-amz-json-1.1' });
    await check('s3', '/bucket/dir%20one/k%2By%3D~.txt', { 'list-type': '2', prefix: 'a b/ü', 'max-keys': '5' }, 'data', {
      'x-amz-content-sha256': sha256Hex('data'),
      'x-amz-meta-spaced': '  two   spaces  ',
    });
    await check('execute-api', '/a%20b/c', { z: '1', a: ['3', '2'], empty: '' }, '', {});
  });
});

describe('aws-chunked bodies', () => {
  it('detects framing by payload hash or content-encoding', () => {
    expect(isAwsChunked('STREAMING-UNSIGNED-PAYLOAD-TRAILER', undefined)).toBe(true);
    expect(isAwsChunked(undefined, 'gzip, aws-chunked')).toBe(true);
    expect(isAwsChunked('UNSIGNED-PAYLOAD', 'gzip')).toBe(false);
  });

  it('decodes signed chunks and unsigned chunks with checksum trailers', () => {
    const a = 'x'.repeat(65536);
    const signed = Buffer.from(
      `10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n${a}\r\n` +
        `4;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\nabcd\r\n` +
        `0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n`,
    );
    const d1 = decodeAwsChunked(signed);
    expect(d1?.payload.toString()).toBe(`${a}abcd`);
    expect(d1?.trailers).toEqual({});

    const unsigned = Buffer.from('5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\nx-amz-trailer-signature:abc\r\n\r\n');
    const d2 = decodeAwsChunked(unsigned);
    expect(d2?.payload.toString()).toBe('hello world');
    expect(d2?.trailers).toEqual({ 'x-amz-checksum-crc32': 'DUoRhQ==' });
  });

  it('rejects truncated or malformed framing', () => {
    expect(decodeAwsChunked(Buffer.from('5\r\nhel'))).toBeUndefined();
    expect(decodeAwsChunked(Buffer.from('zz\r\nhello\r\n0\r\n\r\n'))).toBeUndefined();
    expect(decodeAwsChunked(Buffer.from('5\r\nhelloXX0\r\n\r\n'))).toBeUndefined();
  });
});

describe('S3 signature version 2', () => {
  it('matches the S3 documentation example (GET object, Date header)', () => {
    const raw = ['Host', 'johnsmith.s3.amazonaws.com', 'Date', 'Tue, 27 Mar 2007 19:36:42 +0000'];
    const sts = sigV2StringToSign('GET', '/johnsmith/photos/puppy.jpg', '', raw, false);
    expect(sts).toBe('GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg');
    expect(sigV2Sign(S3_SECRET, sts)).toBe('bWq2s1WEIj+Ydj0vQ697zp+IXMU=');
  });

  it('parses header and presigned forms and canonicalises amz headers and sub-resources', () => {
    expect(parseSigV2(['Authorization', 'AWS AKID:c2ln', 'Date', 'x'], '')).toMatchObject({ accessKeyId: 'AKID', signature: 'c2ln', presigned: false, date: 'x' });
    expect(parseSigV2([], 'AWSAccessKeyId=AKID&Expires=100&Signature=a%2Bb%3D&x-amz-security-token=t')).toEqual({
      accessKeyId: 'AKID',
      signature: 'a+b=',
      presigned: true,
      expires: 100,
      securityToken: 't',
    });
    expect(parseSigV2(['Authorization', 'AWS4-HMAC-SHA256 Credential=x'], '')).toBeUndefined();
    const sts = sigV2StringToSign(
      'put',
      '/b/k%20y',
      'uploadId=U1&partNumber=2&ignored=1',
      ['Content-Type', 'text/plain', 'X-Amz-Meta-B', ' two ', 'x-amz-meta-a', '1', 'X-Amz-Meta-B', 'three', 'x-amz-date', 'D', 'Date', 'ignored'],
      false,
    );
    expect(sts).toBe('PUT\n\ntext/plain\n\nx-amz-date:D\nx-amz-meta-a:1\nx-amz-meta-b:two,three\n/b/k%20y?partNumber=2&uploadId=U1');
    const presigned = sigV2StringToSign('GET', '/b/k', 'AWSAccessKeyId=A&Expires=99&Signature=s&x-amz-security-token=T&versionId=v', [], true);
    expect(presigned).toBe('GET\n\n\n99\nx-amz-security-token:T\n/b/k?versionId=v');
  });
});
