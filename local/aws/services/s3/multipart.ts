/** Multipart uploads: Create, UploadPart, Complete, Abort, ListParts, ListMultipartUploads. */
import { createHash } from 'node:crypto';
import { AwsError } from '../../core/errors';
import type { SandboxResponse } from '../../core/types';
import { computeChecksum, md5Hex, parseChecksumAlgorithm, type StoredChecksum } from './checksums';
import {
  accessDenied,
  emptyResponse,
  header,
  intParam,
  invalidArgument,
  isoTime,
  xmlResponse,
  type BucketContext,
  type ObjectContext,
} from './context';
import { canonicalUserId, type MultipartUpload } from './model';
import { assertValidKey, compareKeys } from './names';
import { objectArn } from './routes';
import {
  checkObjectAcl,
  checksumResponseHeaders,
  checkWritePreconditions,
  putVersion,
  resolveSse,
  sseHeaders,
  storageClassOf,
  storedHeaders,
  tagsFromHeader,
  versionHeader,
} from './objects';
import { children, childText, el, malformedXml, opt, parseXmlBody, s3Root } from './xml';

export const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PART_NUMBER = 10_000;

function noSuchUpload(uploadId: string): AwsError {
  return new AwsError(
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    404,
    'Sender',
    { UploadId: uploadId },
  );
}

function findUpload(ctx: ObjectContext): MultipartUpload {
  const uploadId = ctx.req.query.get('uploadId') ?? '';
  const upload = ctx.bucket.uploads.get(uploadId);
  if (!upload || upload.key !== ctx.key) throw noSuchUpload(uploadId);
  return upload;
}

function initiator(u: MultipartUpload): ReturnType<typeof el>[] {
  const id = u.initiatorArn.endsWith(':root') ? canonicalUserId(u.initiatorAccount) : u.initiatorArn;
  return [el('Initiator', [el('ID', id)]), el('Owner', [el('ID', canonicalUserId(u.initiatorAccount))])];
}

export async function createMultipartUpload(ctx: ObjectContext): Promise<SandboxResponse> {
  const { req, bucket, key } = ctx;
  assertValidKey(key);
  checkObjectAcl(ctx);
  const tags = tagsFromHeader(req);
  if (tags.length > 0 && !(await ctx.allowed('s3:PutObjectTagging', objectArn(bucket.name, key), bucket))) {
    throw accessDenied();
  }
  const checksumAlgorithm = parseChecksumAlgorithm(header(req, 'x-amz-checksum-algorithm'));
  const typeHeader = header(req, 'x-amz-checksum-type');
  if (typeHeader !== undefined && typeHeader !== 'COMPOSITE' && typeHeader !== 'FULL_OBJECT') {
    throw invalidArgument('Value for x-amz-checksum-type header is invalid.', 'x-amz-checksum-type', typeHeader);
  }
  if (typeHeader !== undefined && !checksumAlgorithm) {
    throw new AwsError('InvalidRequest', 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.', 400);
  }
  const sse = resolveSse(ctx);
  const upload: MultipartUpload = {
    uploadId: ctx.kernel.randomId('', 64),
    key,
    initiated: ctx.now,
    initiatorArn: req.principal.arn,
    initiatorAccount: req.principal.accountId,
    headers: storedHeaders(req),
    sse,
    storageClass: storageClassOf(req),
    tags,
    parts: new Map(),
  };
  if (checksumAlgorithm) {
    upload.checksumAlgorithm = checksumAlgorithm;
    upload.checksumType = typeHeader === 'FULL_OBJECT' || typeHeader === 'COMPOSITE' ? typeHeader : checksumAlgorithm.startsWith('CRC') ? 'FULL_OBJECT' : 'COMPOSITE';
    if (checksumAlgorithm === 'CRC64NVME' && upload.checksumType === 'COMPOSITE') {
      throw new AwsError('InvalidRequest', 'The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.', 400);
    }
  }
  bucket.uploads.set(upload.uploadId, upload);
  const headers: Record<string, string> = { ...sseHeaders(sse) };
  if (upload.checksumAlgorithm) {
    headers['x-amz-checksum-algorithm'] = upload.checksumAlgorithm;
    if (upload.checksumType) headers['x-amz-checksum-type'] = upload.checksumType;
  }
  return xmlResponse(
    s3Root('InitiateMultipartUploadResult', [el('Bucket', bucket.name), el('Key', key), el('UploadId', upload.uploadId)]),
    200,
    headers,
  );
}

function partNumberOf(raw: string | null): number {
  const n = Number(raw);
  if (raw === null || !/^\d+$/.test(raw) || n < 1 || n > MAX_PART_NUMBER) {
    throw invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', raw ?? '');
  }
  return n;
}

export function uploadPart(ctx: ObjectContext, verified: StoredChecksum | undefined): SandboxResponse {
  const { req } = ctx;
  const partNumber = partNumberOf(req.query.get('partNumber'));
  const upload = findUpload(ctx);
  if (upload.checksumAlgorithm && verified && verified.algorithm !== upload.checksumAlgorithm) {
    throw new AwsError(
      'InvalidRequest',
      `Checksum Type mismatch occurred, expected checksum Type: ${upload.checksumAlgorithm.toLowerCase()}, actual checksum Type: ${verified.algorithm.toLowerCase()}`,
      400,
    );
  }
  const etag = `"${md5Hex(req.body)}"`;
  const part = { partNumber, body: req.body, etag, lastModified: ctx.now, ...(verified ? { checksum: verified } : {}) };
  upload.parts.set(partNumber, part);
  return emptyResponse(200, { etag, ...sseHeaders(upload.sse), ...(verified ? checksumResponseHeaders(verified) : {}) });
}

function normaliseEtag(e: string): string {
  return e.trim().replace(/^"|"$/g, '');
}

/** Final checksum of a completed upload. */
function completedChecksum(upload: MultipartUpload, parts: { checksum?: StoredChecksum; body: Buffer }[], body: Buffer): StoredChecksum {
  const algorithm = upload.checksumAlgorithm;
  if (!algorithm) return { algorithm: 'CRC64NVME', value: computeChecksum('CRC64NVME', body), type: 'FULL_OBJECT' };
  if (upload.checksumType === 'FULL_OBJECT') return { algorithm, value: computeChecksum(algorithm, body), type: 'FULL_OBJECT' };
  const raw = Buffer.concat(
    parts.map((p) => Buffer.from(p.checksum?.algorithm === algorithm ? p.checksum.value : computeChecksum(algorithm, p.body), 'base64')),
  );
  return { algorithm, value: `${computeChecksum(algorithm, raw)}-${parts.length}`, type: 'COMPOSITE' };
}

export function completeMultipartUpload(ctx: ObjectContext): SandboxResponse {
  const { req, bucket, key } = ctx;
  const upload = findUpload(ctx);
  const root = parseXmlBody(req.body, 'CompleteMultipartUpload');
  const requested = children(root, 'Part');
  if (requested.length === 0) throw malformedXml();
  let previous = 0;
  const parts = requested.map((p) => {
    const numberText = childText(p, 'PartNumber')?.trim() ?? '';
    const etag = childText(p, 'ETag');
    if (!/^\d+$/.test(numberText) || etag === undefined) throw malformedXml();
    const partNumber = Number(numberText);
    if (partNumber <= previous) {
      throw new AwsError(
        'InvalidPartOrder',
        'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
        400,
        'Sender',
        { UploadId: upload.uploadId },
      );
    }
    previous = partNumber;
    const stored = upload.parts.get(partNumber);
    if (!stored || normaliseEtag(stored.etag) !== normaliseEtag(etag)) {
      throw new AwsError(
        'InvalidPart',
        'One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.',
        400,
        'Sender',
        { UploadId: upload.uploadId, PartNumber: String(partNumber), ETag: etag },
      );
    }
    return stored;
  });
  parts.forEach((p, i) => {
    if (i < parts.length - 1 && p.body.length < MIN_PART_SIZE) {
      throw new AwsError('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', 400, 'Sender', {
        ProposedSize: String(p.body.length),
        MinSizeAllowed: String(MIN_PART_SIZE),
        PartNumber: String(p.partNumber),
        ETag: p.etag,
      });
    }
  });
  checkWritePreconditions(ctx);
  const md5s = Buffer.concat(parts.map((p) => Buffer.from(normaliseEtag(p.etag), 'hex')));
  const etag = `"${createHash('md5').update(md5s).digest('hex')}-${parts.length}"`;
  const body = Buffer.concat(parts.map((p) => p.body));
  const checksum = completedChecksum(upload, parts, body);
  const version = putVersion(ctx, key, {
    deleteMarker: false,
    body,
    etag,
    lastModified: ctx.now,
    headers: upload.headers,
    ...(upload.sse ? { sse: upload.sse } : {}),
    checksum,
    storageClass: upload.storageClass,
    partsCount: parts.length,
    tags: upload.tags,
    writer: upload.initiatorAccount,
  });
  bucket.uploads.delete(upload.uploadId);
  const host = header(req, 'host') ?? 's3.amazonaws.com';
  const location = `http://${host}/${bucket.name}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return xmlResponse(
    s3Root('CompleteMultipartUploadResult', [
      el('Location', location),
      el('Bucket', bucket.name),
      el('Key', key),
      el('ETag', etag),
      upload.checksumAlgorithm !== undefined && el(`Checksum${checksum.algorithm}`, checksum.value),
      upload.checksumAlgorithm !== undefined && el('ChecksumType', checksum.type ?? 'FULL_OBJECT'),
    ]),
    200,
    { ...sseHeaders(upload.sse), ...versionHeader(bucket, version.versionId) },
  );
}

export function abortMultipartUpload(ctx: ObjectContext): SandboxResponse {
  const upload = findUpload(ctx);
  ctx.bucket.uploads.delete(upload.uploadId);
  return emptyResponse(204);
}

export function listParts(ctx: ObjectContext): SandboxResponse {
  const { req, bucket, key } = ctx;
  const upload = findUpload(ctx);
  const maxParts = intParam(req, 'max-parts', 1000, 1000);
  const markerRaw = req.query.get('part-number-marker');
  const marker = markerRaw === null || markerRaw === '' ? 0 : Number(markerRaw);
  if (!Number.isInteger(marker) || marker < 0) {
    throw invalidArgument('Argument partNumberMarker must be an integer.', 'part-number-marker', markerRaw ?? '');
  }
  const all = [...upload.parts.values()].filter((p) => p.partNumber > marker).sort((a, b) => a.partNumber - b.partNumber);
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  const last = page[page.length - 1];
  return xmlResponse(
    s3Root('ListPartsResult', [
      el('Bucket', bucket.name),
      el('Key', key),
      el('UploadId', upload.uploadId),
      el('PartNumberMarker', marker),
      opt('NextPartNumberMarker', last?.partNumber),
      el('MaxParts', maxParts),
      el('IsTruncated', truncated),
      ...page.map((p) =>
        el('Part', [
          el('PartNumber', p.partNumber),
          el('LastModified', isoTime(p.lastModified)),
          el('ETag', p.etag),
          el('Size', p.body.length),
          p.checksum && el(`Checksum${p.checksum.algorithm}`, p.checksum.value),
        ]),
      ),
      ...initiator(upload),
      el('StorageClass', upload.storageClass),
      opt('ChecksumAlgorithm', upload.checksumAlgorithm),
      opt('ChecksumType', upload.checksumType),
    ]),
  );
}

export function listMultipartUploads(ctx: BucketContext): SandboxResponse {
  const { req, bucket } = ctx;
  const prefix = req.query.get('prefix') ?? '';
  const keyMarker = req.query.get('key-marker') ?? '';
  const uploadIdMarker = req.query.get('upload-id-marker') ?? '';
  const maxUploads = intParam(req, 'max-uploads', 1000, 1000);
  const all = [...bucket.uploads.values()]
    .filter((u) => u.key.startsWith(prefix))
    .sort((a, b) => compareKeys(a.key, b.key) || a.initiated - b.initiated || (a.uploadId < b.uploadId ? -1 : 1));
  let start = 0;
  if (keyMarker !== '') {
    start = all.findIndex((u) => {
      const cmp = compareKeys(u.key, keyMarker);
      if (cmp !== 0) return cmp > 0;
      return uploadIdMarker !== '' && u.uploadId > uploadIdMarker;
    });
    if (start === -1) start = all.length;
  }
  const page = all.slice(start, start + maxUploads);
  const truncated = start + page.length < all.length;
  const last = page[page.length - 1];
  return xmlResponse(
    s3Root('ListMultipartUploadsResult', [
      el('Bucket', bucket.name),
      el('KeyMarker', keyMarker),
      el('UploadIdMarker', uploadIdMarker),
      truncated && last && el('NextKeyMarker', last.key),
      truncated && last && el('NextUploadIdMarker', last.uploadId),
      el('Prefix', prefix),
      el('MaxUploads', maxUploads),
      el('IsTruncated', truncated),
      ...page.map((u) =>
        el('Upload', [
          el('Key', u.key),
          el('UploadId', u.uploadId),
          ...initiator(u),
          el('StorageClass', u.storageClass),
          el('Initiated', isoTime(u.initiated)),
          opt('ChecksumAlgorithm', u.checksumAlgorithm),
          opt('ChecksumType', u.checksumType),
        ]),
      ),
    ]),
  );
}
