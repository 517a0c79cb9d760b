/**
 * OpenSSH public-key encoding (RFC 4253 §6.6 wire format, RFC 4251 §5 mpint) and comparison. Pure: no I/O.
 *
 *   ssh-rsa public key blob = string "ssh-rsa" || mpint e || mpint n
 *   line                    = "ssh-rsa " + base64(blob) [+ " " + comment]
 */
import { createHash } from 'node:crypto';

/** RFC 4251 `string`: uint32 big-endian length, then the bytes. */
function sshString(bytes: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length, 0);
  return Buffer.concat([len, bytes]);
}

/**
 * RFC 4251 `mpint` of a non-negative integer given as unsigned big-endian bytes: leading zero bytes removed,
 * one 0x00 prepended when the most significant bit is set (two's complement), zero encoded as the empty string.
 */
export function sshMpint(unsignedBigEndian: Uint8Array): Buffer {
  let start = 0;
  while (start < unsignedBigEndian.length && unsignedBigEndian[start] === 0) start += 1;
  const magnitude = Buffer.from(unsignedBigEndian.subarray(start));
  if (magnitude.length === 0) return sshString(Buffer.alloc(0));
  const first = magnitude[0] ?? 0;
  return sshString(first & 0x80 ? Buffer.concat([Buffer.from([0]), magnitude]) : magnitude);
}

/** The public key blob of an RSA key from its JWK `n` and `e` (base64url, as node:crypto exports them). */
export function rsaPublicKeyBlob(jwk: { n: string; e: string }): Buffer {
  return Buffer.concat([
    sshString(Buffer.from('ssh-rsa', 'latin1')),
    sshMpint(Buffer.from(jwk.e, 'base64url')),
    sshMpint(Buffer.from(jwk.n, 'base64url')),
  ]);
}

/** `ssh-rsa AAAA... comment` (the comment is optional; whitespace in it is collapsed to single spaces). */
export function opensshRsaPublicKey(jwk: { n: string; e: string }, comment?: string): string {
  const line = `ssh-rsa ${rsaPublicKeyBlob(jwk).toString('base64')}`;
  const c = comment?.trim().replace(/\s+/g, ' ');
  return c ? `${line} ${c}` : line;
}

export interface OpenSshPublicKey {
  type: string;
  /** The decoded key blob (its first field repeats `type`). */
  blob: Buffer;
  comment?: string;
}

/** Parses `<type> <base64> [comment]`; undefined when the line is not a well-formed OpenSSH public key. */
export function parseOpenSshPublicKey(line: string): OpenSshPublicKey | undefined {
  const m = /^(\S+)\s+([A-Za-z0-9+/]+={0,3})(?:\s+(.*))?$/.exec(line.trim());
  if (!m?.[1] || !m[2]) return undefined;
  const type = m[1];
  const blob = Buffer.from(m[2], 'base64');
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (blob.length < 4 + len || blob.subarray(4, 4 + len).toString('latin1') !== type) return undefined;
  const comment = m[3]?.trim();
  return { type, blob, ...(comment ? { comment } : {}) };
}

/** Same key: equal type and key data; comments are ignored. Unparseable lines are never equal. */
export function sameOpenSshKey(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const pa = parseOpenSshPublicKey(a);
  const pb = parseOpenSshPublicKey(b);
  return pa !== undefined && pb !== undefined && pa.type === pb.type && pa.blob.equals(pb.blob);
}

/** OpenSSH's default fingerprint, as `ssh-keygen -l` prints it: `SHA256:` + unpadded base64 of SHA-256(blob). */
export function sshFingerprint(line: string): string {
  const parsed = parseOpenSshPublicKey(line);
  if (!parsed) throw new TypeError('sshFingerprint: not an OpenSSH public key line');
  return `SHA256:${createHash('sha256').update(parsed.blob).digest('base64').replace(/=+$/, '')}`;
}
