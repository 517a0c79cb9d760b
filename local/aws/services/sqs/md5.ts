/**
 * The digests SQS returns with every message, computed as SQS computes them (clients check them: the AWS SDK v3 checks
 * MD5OfMessageBody / MD5OfBody, the Java SDK and others also the attribute digests):
 * - MD5OfMessageBody / MD5OfBody: hex MD5 of the body's UTF-8 bytes;
 * - MD5OfMessageAttributes / MD5OfMessageSystemAttributes: hex MD5 of the attributes sorted by name, each encoded as
 *   name length (4 bytes, big endian) + name, data type length + data type, one transport byte (1 = string, 2 = binary),
 *   value length + value (UTF-8 for a string, the raw bytes for a binary value).
 * String and binary list values (reserved by SQS, refused on send) are not encoded.
 */
import { createHash } from 'node:crypto';

/** A message attribute as the JSON protocol carries it (BinaryValue is base64). */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

export function md5Hex(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length, 0);
  return Buffer.concat([len, bytes]);
}

/** True for the Binary data types (`Binary`, `Binary.<custom>`). */
export function isBinaryType(dataType: string): boolean {
  return dataType === 'Binary' || dataType.startsWith('Binary.');
}

/** The attribute digest of `attrs`, or undefined when there are none (SQS then omits the member). */
export function md5OfAttributes(attrs: Readonly<Record<string, MessageAttributeValue>>): string | undefined {
  const names = Object.keys(attrs).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const name of names) {
    const a = attrs[name];
    if (!a) continue;
    parts.push(lengthPrefixed(Buffer.from(name, 'utf8')), lengthPrefixed(Buffer.from(a.DataType, 'utf8')));
    if (a.BinaryValue !== undefined && isBinaryType(a.DataType)) {
      parts.push(Buffer.from([2]), lengthPrefixed(Buffer.from(a.BinaryValue, 'base64')));
    } else {
      parts.push(Buffer.from([1]), lengthPrefixed(Buffer.from(a.StringValue ?? '', 'utf8')));
    }
  }
  return md5Hex(Buffer.concat(parts));
}
