/**
 * Content-MD5 and the flexible checksums (x-amz-checksum-*). Values are base64 of the big-endian
 * digest, exactly as S3 and the SDKs encode them.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { IncomingHttpHeaders } from 'node:http';
import { AwsError } from '../../core/errors';

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256', 'SHA512', 'MD5'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface StoredChecksum {
  algorithm: ChecksumAlgorithm;
  /** base64; composite multipart checksums end in "-<parts>". */
  value: string;
  type?: 'COMPOSITE' | 'FULL_OBJECT';
}

function reflectedTable32(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}

const CRC32C_TABLE = reflectedTable32(0x82f63b78);

function crc32c(data: Buffer): number {
  let c = 0xffffffff;
  for (const b of data) c = (CRC32C_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-64/NVME (reflected poly 0x9a6c9329ac4bc9b5), split into 32-bit halves for speed. */
const CRC64_HI = new Uint32Array(256);
const CRC64_LO = new Uint32Array(256);
{
  const poly = 0x9a6c9329ac4bc9b5n;
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    CRC64_HI[i] = Number(c >> 32n);
    CRC64_LO[i] = Number(c & 0xffffffffn);
  }
}

function crc64nvme(data: Buffer): Buffer {
  let hi = 0xffffffff;
  let lo = 0xffffffff;
  for (const b of data) {
    const idx = (lo ^ b) & 0xff;
    const nlo = ((lo >>> 8) | ((hi & 0xff) << 24)) >>> 0;
    const nhi = hi >>> 8;
    lo = (nlo ^ (CRC64_LO[idx] ?? 0)) >>> 0;
    hi = (nhi ^ (CRC64_HI[idx] ?? 0)) >>> 0;
  }
  const out = Buffer.alloc(8);
  out.writeUInt32BE((hi ^ 0xffffffff) >>> 0, 0);
  out.writeUInt32BE((lo ^ 0xffffffff) >>> 0, 4);
  return out;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

export function computeChecksum(algorithm: ChecksumAlgorithm, data: Buffer): string {
  switch (algorithm) {
    case 'CRC32':
      return u32(crc32(data)).toString('base64');
    case 'CRC32C':
      return u32(crc32c(data)).toString('base64');
    case 'CRC64NVME':
      return crc64nvme(data).toString('base64');
    case 'SHA1':
      return createHash('sha1').update(data).digest('base64');
    case 'SHA256':
      return createHash('sha256').update(data).digest('base64');
    case 'SHA512':
      return createHash('sha512').update(data).digest('base64');
    case 'MD5':
      return createHash('md5').update(data).digest('base64');
  }
}

export function md5Hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

export function parseChecksumAlgorithm(v: string | undefined): ChecksumAlgorithm | undefined {
  if (v === undefined || v === '') return undefined;
  const upper = v.toUpperCase();
  const found = CHECKSUM_ALGORITHMS.find((a) => a === upper);
  if (!found) {
    throw new AwsError('InvalidRequest', 'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256, SHA512, MD5]', 400);
  }
  return found;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
  SHA512: 64,
  MD5: 16,
};

/**
 * Verify Content-MD5 and any x-amz-checksum-* value (header, or trailer surfaced as a header)
 * against the body. Returns the verified flexible checksum, if one was sent.
 */
export function verifyBodyDigests(headers: IncomingHttpHeaders, body: Buffer): StoredChecksum | undefined {
  const md5 = header(headers, 'content-md5');
  if (md5 !== undefined) {
    const raw = Buffer.from(md5, 'base64');
    if (raw.length !== 16 || raw.toString('base64') !== md5.trim()) {
      throw new AwsError('InvalidDigest', 'The Content-MD5 you specified was invalid.', 400, 'Sender', { 'Content-MD5': md5 });
    }
    const actual = createHash('md5').update(body).digest('base64');
    if (actual !== md5.trim()) {
      throw new AwsError('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400, 'Sender', {
        ExpectedDigest: md5,
        CalculatedDigest: actual,
      });
    }
  }
  let verified: StoredChecksum | undefined;
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const name = checksumHeaderName(algorithm);
    const value = header(headers, name);
    if (value === undefined) continue;
    if (verified) {
      throw new AwsError('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.', 400);
    }
    const raw = Buffer.from(value, 'base64');
    if (raw.length !== DIGEST_BYTES[algorithm] || raw.toString('base64') !== value.trim()) {
      throw new AwsError('InvalidRequest', `Value for ${name} header is invalid.`, 400);
    }
    if (computeChecksum(algorithm, body) !== value.trim()) {
      throw new AwsError('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`, 400);
    }
    verified = { algorithm, value: value.trim() };
  }
  return verified;
}
