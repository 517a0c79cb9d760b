/** General purpose bucket naming rules and key limits. */
import { AwsError } from '../../core/errors';

const FORBIDDEN_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const FORBIDDEN_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** Why a name breaks the general purpose bucket naming rules, or undefined when it is valid. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'length must be between 3 and 63 characters';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'only lowercase letters, digits, dots and hyphens are allowed';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'must begin and end with a letter or digit';
  if (name.includes('..')) return 'must not contain two adjacent periods';
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)) return 'must not be formatted as an IP address';
  if (FORBIDDEN_PREFIXES.some((p) => name.startsWith(p))) return 'uses a reserved prefix';
  if (FORBIDDEN_SUFFIXES.some((s) => name.endsWith(s))) return 'uses a reserved suffix';
  return undefined;
}

export function assertValidBucketName(name: string): void {
  if (bucketNameProblem(name) !== undefined) {
    throw new AwsError('InvalidBucketName', 'The specified bucket is not valid.', 400, 'Sender', { BucketName: name });
  }
}

export const MAX_KEY_BYTES = 1024;

export function assertValidKey(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new AwsError('KeyTooLongError', 'Your key is too long', 400, 'Sender', {
      Size: String(Buffer.byteLength(key, 'utf8')),
      MaxSizeAllowed: String(MAX_KEY_BYTES),
    });
  }
}

/** S3 orders keys by their UTF-8 bytes (code point order), not by UTF-16 units. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
