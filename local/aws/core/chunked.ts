/**
 * aws-chunked payload decoding (S3 streaming uploads).
 *
 * Frames: `<hex-size>[;chunk-signature=<sig>]\r\n<bytes>\r\n` ... `0[;chunk-signature=<sig>]\r\n`, then
 * optional trailer lines `name:value\r\n` (e.g. `x-amz-checksum-crc32:...`, `x-amz-trailer-signature:...`)
 * and a final `\r\n`. Covers STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] and
 * STREAMING-UNSIGNED-PAYLOAD-TRAILER (the SDK v3 default for streamed PutObject/UploadPart with
 * flexible checksums). Chunk signatures are parsed but not verified.
 */

export interface DecodedChunks {
  payload: Buffer;
  /** Trailer headers, lower-cased names (x-amz-trailer-signature excluded). */
  trailers: Record<string, string>;
}

const CRLF = Buffer.from('\r\n');

export function isAwsChunked(contentSha256: string | undefined, contentEncoding: string | undefined): boolean {
  if (contentSha256?.startsWith('STREAMING-')) return true;
  return (contentEncoding ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .includes('aws-chunked');
}

/** Returns undefined when the framing is malformed or truncated. */
export function decodeAwsChunked(body: Buffer): DecodedChunks | undefined {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = body.indexOf(CRLF, pos);
    if (eol < 0) return undefined;
    const header = body.subarray(pos, eol).toString('latin1');
    const sizeHex = header.split(';')[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]+$/.test(sizeHex)) return undefined;
    const size = parseInt(sizeHex, 16);
    pos = eol + 2;
    if (size === 0) break;
    if (pos + size + 2 > body.length) return undefined;
    parts.push(body.subarray(pos, pos + size));
    pos += size;
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a) return undefined;
    pos += 2;
  }
  const trailers: Record<string, string> = {};
  while (pos < body.length) {
    const eol = body.indexOf(CRLF, pos);
    const line = body.subarray(pos, eol < 0 ? body.length : eol).toString('latin1');
    pos = eol < 0 ? body.length : eol + 2;
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name !== 'x-amz-trailer-signature') trailers[name] = line.slice(colon + 1).trim();
  }
  return { payload: Buffer.concat(parts), trailers };
}
