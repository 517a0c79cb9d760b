/**
 * OpenSSH public-key encoding (lambdas/domain/ssh.ts): RFC 4251 mpint examples, a fixed vector produced by
 * `ssh-keygen -y` / `ssh-keygen -l` (OpenSSH) for a 1024-bit RSA key, and, when ssh-keygen is installed, fresh
 * node:crypto keys checked against it.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  opensshRsaPublicKey,
  parseOpenSshPublicKey,
  rsaPublicKeyBlob,
  sameOpenSshKey,
  sshFingerprint,
  sshMpint,
} from '../../lambdas/domain/ssh';

// Public part of a 1024-bit RSA key (JWK from node:crypto); expected values printed by OpenSSH's ssh-keygen.
const VECTOR = {
  jwk: {
    n: '36UiRN7SIP5Cj9mPHME1ZpTgKbwxriEMXM2CCBoVhSh_WCLP49rZTsdNkuVGGctQBV1Fv0TI0rIEbinCvI3jB-ycAQWz1Z5YT1e--_tzMWrkufn_vIFZzjBlNwjKasmfTOZIUVk_9LasZQz9GfTVFu7Bs4rKVTpHFpEStVHnpHM',
    e: 'AQAB',
  },
  sshKeygenY:
    'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDfpSJE3tIg/kKP2Y8cwTVmlOApvDGuIQxczYIIGhWFKH9YIs/j2tlOx02S5UYZy1AFXUW/RMjSsgRuKcK8jeMH7JwBBbPVnlhPV777+3MxauS5+f+8gVnOMGU3CMpqyZ9M5khRWT/0tqxlDP0Z9NUW7sGzispVOkcWkRK1Ueekcw==',
  fingerprint: 'SHA256:j1Jo0KXCSaACfEm+D41Y8ln03l1JIPya2u4PNDqVOQs',
};

const hex = (b: Buffer) => b.toString('hex');

function hasSshKeygen(): boolean {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    // ssh-keygen exits non-zero on -? but exists; ENOENT means it is not installed.
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

describe('mpint (RFC 4251 §5 examples)', () => {
  it('encodes zero, a value without and with the high bit set, and strips leading zeros', () => {
    expect(hex(sshMpint(Buffer.alloc(0)))).toBe('00000000');
    expect(hex(sshMpint(Buffer.from('00', 'hex')))).toBe('00000000');
    expect(hex(sshMpint(Buffer.from('09a378f9b2e332a7', 'hex')))).toBe('0000000809a378f9b2e332a7');
    expect(hex(sshMpint(Buffer.from('80', 'hex')))).toBe('000000020080');
    expect(hex(sshMpint(Buffer.from('000080', 'hex')))).toBe('000000020080');
    expect(hex(sshMpint(Buffer.from('010001', 'hex')))).toBe('00000003010001');
  });
});

describe('ssh-rsa public key', () => {
  it('matches ssh-keygen -y for the fixed vector (wire format: string "ssh-rsa", mpint e, mpint n)', () => {
    expect(opensshRsaPublicKey(VECTOR.jwk)).toBe(VECTOR.sshKeygenY);
    const blob = rsaPublicKeyBlob(VECTOR.jwk);
    expect(hex(blob.subarray(0, 11))).toBe('000000077373682d727361'); // string "ssh-rsa"
    expect(hex(blob.subarray(11, 18))).toBe('00000003010001'); // mpint e = 65537
    expect(hex(blob.subarray(18, 23))).toBe('0000008100'); // mpint n: 129 bytes, 0x00 before the high bit
  });

  it('appends a comment, collapsing whitespace', () => {
    expect(opensshRsaPublicKey(VECTOR.jwk, ' acme  ssh ')).toBe(`${VECTOR.sshKeygenY} acme ssh`);
    expect(opensshRsaPublicKey(VECTOR.jwk, '   ')).toBe(VECTOR.sshKeygenY);
  });

  it('fingerprint matches ssh-keygen -l', () => {
    expect(sshFingerprint(VECTOR.sshKeygenY)).toBe(VECTOR.fingerprint);
    expect(sshFingerprint(`${VECTOR.sshKeygenY} some comment`)).toBe(VECTOR.fingerprint);
  });

  it.skipIf(!hasSshKeygen())('fresh node:crypto keys match ssh-keygen -y and -l (2048 and 4096 bits)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssh-test-'));
    try {
      for (const bits of [2048, 4096]) {
        const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
        const jwk = publicKey.export({ format: 'jwk' });
        if (!jwk.n || !jwk.e) throw new Error('no JWK n/e');
        const file = join(dir, `id_${bits}`);
        writeFileSync(file, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
        const expected = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
        const ours = opensshRsaPublicKey({ n: jwk.n, e: jwk.e }, 'test@palette');
        expect(sameOpenSshKey(ours, expected)).toBe(true);
        expect(ours.split(' ').slice(0, 2).join(' ')).toBe(expected.split(' ').slice(0, 2).join(' '));
        writeFileSync(`${file}.pub`, `${ours}\n`);
        const listed = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' }).trim();
        expect(listed).toBe(`${bits} ${sshFingerprint(ours)} test@palette (RSA)`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parse and compare', () => {
  it('parses type, blob and comment; rejects malformed lines and type/blob mismatches', () => {
    const p = parseOpenSshPublicKey(`  ${VECTOR.sshKeygenY}   me@host  `);
    expect(p?.type).toBe('ssh-rsa');
    expect(p?.comment).toBe('me@host');
    expect(parseOpenSshPublicKey('ssh-rsa')).toBeUndefined();
    expect(parseOpenSshPublicKey('ssh-rsa !!!')).toBeUndefined();
    expect(parseOpenSshPublicKey(`ssh-ed25519 ${VECTOR.sshKeygenY.split(' ')[1]}`)).toBeUndefined();
    expect(parseOpenSshPublicKey('ssh-rsa AAAA')).toBeUndefined();
  });

  it('same key ignores the comment and whitespace; a different key or type is not the same', () => {
    expect(sameOpenSshKey(VECTOR.sshKeygenY, `${VECTOR.sshKeygenY} a comment`)).toBe(true);
    expect(sameOpenSshKey(`${VECTOR.sshKeygenY} x`, `  ${VECTOR.sshKeygenY}\ty`)).toBe(true);
    const other = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    expect(sameOpenSshKey(VECTOR.sshKeygenY, opensshRsaPublicKey({ n: other.n ?? '', e: other.e ?? '' }))).toBe(false);
    expect(sameOpenSshKey(VECTOR.sshKeygenY, undefined)).toBe(false);
    expect(sameOpenSshKey('garbage', 'garbage')).toBe(false);
  });
});
