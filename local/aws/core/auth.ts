/**
 * Request authentication: SigV4 parsing and verification against the credential store, with the
 * error each real service returns. Mapping (code, HTTP status):
 *
 * | failure                         | iam / sts                       | s3                                  | secretsmanager, dynamodb, organizations (json) |
 * |---------------------------------|---------------------------------|-------------------------------------|-----------------------------------------|
 * | no credentials                  | MissingAuthenticationToken 403  | AccessDenied 403                    | MissingAuthenticationTokenException 400 |
 * | malformed Authorization         | IncompleteSignature 400         | AuthorizationHeaderMalformed 400    | IncompleteSignatureException 400        |
 * | unknown/inactive/unpropagated   | InvalidClientTokenId 403        | InvalidAccessKeyId 403              | UnrecognizedClientException 400         |
 * | session token missing/wrong     | InvalidClientTokenId 403        | InvalidAccessKeyId 403/InvalidToken 400 | UnrecognizedClientException 400     |
 * | session expired                 | ExpiredToken 403                | ExpiredToken 400                    | ExpiredTokenException 400               |
 * | wrong signature                 | SignatureDoesNotMatch 403       | SignatureDoesNotMatch 403           | InvalidSignatureException 400           |
 * | clock skew > 15 min             | SignatureDoesNotMatch 403 ("Signature expired") | RequestTimeTooSkewed 403 | InvalidSignatureException 400 |
 * | presigned URL expired           | AccessDenied 403                | AccessDenied 403 ("Request has expired") | AccessDenied 403                   |
 * | x-amz-content-sha256 != body    | XAmzContentSHA256Mismatch 400 (all services)                                                     |
 *
 * S3 additionally accepts legacy signature version 2 (header and presigned query; see sigv2.ts).
 */
import { AwsError } from './errors';
import {
  amzDateToMs,
  credentialScope,
  firstHeader,
  parseAuth,
  sha256Hex,
  signedPayloadHash,
  toAmzDate,
  verifySignature,
  type RawHeaders,
} from './sigv4';
import { parseSigV2, verifySigV2, type SigV2Auth } from './sigv2';
import type { CredentialRecord, CredentialStore, Principal, ServiceName } from './types';

export const MAX_SKEW_MS = 15 * 60_000;

const SIGNATURE_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';
const EXPIRED_TOKEN = 'The security token included in the request is expired';

export interface AuthInput {
  method: string;
  rawPath: string;
  rawQuery: string;
  rawHeaders: RawHeaders;
  body: Buffer;
  now: number;
  /** Region reported for signatures without a scope (S3 SigV2). */
  defaultRegion?: string;
}

export interface Authenticated {
  principal: Principal;
  region: string;
  /** The payload hash the client signed (STREAMING-*, UNSIGNED-PAYLOAD or hex). */
  payloadHash: string;
}

/** Which service a request is for: the credential scope, or (unsigned) request hints. */
export function detectService(rawHeaders: RawHeaders, rawQuery: string, body: Buffer): string {
  const parsed = parseAuth(rawHeaders, rawQuery);
  if (parsed.kind === 'ok') return parsed.auth.credential.service;
  if (parsed.kind === 'malformed' && parsed.credential) return parsed.credential.service;
  const target = firstHeader(rawHeaders, 'x-amz-target') ?? '';
  if (target.startsWith('secretsmanager.')) return 'secretsmanager';
  if (target.startsWith('DynamoDB_20120810.')) return 'dynamodb';
  if (target.startsWith('AWSOrganizationsV20161128.')) return 'organizations';
  if (target.startsWith('AmazonSSM.')) return 'ssm';
  if (target.startsWith('AmazonSQS.')) return 'sqs';
  if (target.startsWith('AWSEvents.')) return 'events';
  if (target.startsWith('AWSStepFunctions.')) return 'states';
  const form = new URLSearchParams(`${rawQuery}&${body.length < 65536 ? body.toString('utf8') : ''}`);
  const version = form.get('Version');
  if (form.get('Action') !== null && version === '2011-06-15') return 'sts';
  if (form.get('Action') !== null && version === '2010-05-08') return 'iam';
  if (form.get('Action') !== null && version === '2010-05-15') return 'cloudformation';
  return 's3';
}

function missing(service: ServiceName): AwsError {
  switch (service) {
    case 's3':
      return new AwsError('AccessDenied', 'Access Denied', 403);
    case 'secretsmanager':
    case 'dynamodb':
    case 'organizations':
    case 'ssm':
    case 'sqs':
    case 'events':
    case 'states':
      return new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 400);
    default:
      return new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
  }
}

function malformed(service: ServiceName, message: string, unsupported: boolean): AwsError {
  switch (service) {
    case 's3':
      return unsupported
        ? new AwsError('InvalidArgument', message, 400)
        : new AwsError('AuthorizationHeaderMalformed', `The authorization header is malformed; ${message}`, 400);
    case 'secretsmanager':
    case 'dynamodb':
    case 'organizations':
    case 'ssm':
    case 'sqs':
    case 'events':
    case 'states':
      return new AwsError('IncompleteSignatureException', message, 400);
    default:
      return new AwsError('IncompleteSignature', message, 400);
  }
}

function unknownKey(service: ServiceName, accessKeyId: string): AwsError {
  switch (service) {
    case 's3':
      return new AwsError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', 403, 'Sender', {
        AWSAccessKeyId: accessKeyId,
      });
    case 'secretsmanager':
    case 'dynamodb':
    case 'organizations':
    case 'ssm':
    case 'sqs':
    case 'events':
    case 'states':
      return new AwsError('UnrecognizedClientException', INVALID_TOKEN, 400);
    default:
      return new AwsError('InvalidClientTokenId', INVALID_TOKEN, 403);
  }
}

function badToken(service: ServiceName, accessKeyId: string, tokenPresent: boolean): AwsError {
  if (service === 's3' && tokenPresent) return new AwsError('InvalidToken', 'The provided token is malformed or otherwise invalid.', 400);
  return unknownKey(service, accessKeyId);
}

function expiredToken(service: ServiceName): AwsError {
  switch (service) {
    case 's3':
      return new AwsError('ExpiredToken', 'The provided token has expired.', 400);
    case 'secretsmanager':
    case 'dynamodb':
    case 'organizations':
    case 'ssm':
      return new AwsError('ExpiredTokenException', EXPIRED_TOKEN, 400);
    default:
      return new AwsError('ExpiredToken', EXPIRED_TOKEN, 403);
  }
}

function signatureMismatch(service: ServiceName, accessKeyId: string, detail: { stringToSign: string; canonicalRequest: string; signature: string }): AwsError {
  switch (service) {
    case 's3':
      return new AwsError(
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
        403,
        'Sender',
        {
          AWSAccessKeyId: accessKeyId,
          StringToSign: detail.stringToSign,
          SignatureProvided: detail.signature,
          StringToSignBytes: hexBytes(detail.stringToSign),
          CanonicalRequest: detail.canonicalRequest,
          CanonicalRequestBytes: hexBytes(detail.canonicalRequest),
        },
      );
    case 'secretsmanager':
    case 'dynamodb':
    case 'organizations':
    case 'ssm':
      return new AwsError('InvalidSignatureException', SIGNATURE_MESSAGE, 400);
    default:
      return new AwsError('SignatureDoesNotMatch', SIGNATURE_MESSAGE, 403);
  }
}

function hexBytes(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

function skewed(service: ServiceName, amzDate: string, now: number): AwsError {
  const requestMs = amzDateToMs(amzDate);
  const nowDate = toAmzDate(now);
  if (service === 's3') {
    return new AwsError('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', 403, 'Sender', {
      RequestTime: new Date(requestMs).toUTCString(),
      ServerTime: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
    });
  }
  const message =
    requestMs < now
      ? `Signature expired: ${amzDate} is now earlier than ${toAmzDate(now - MAX_SKEW_MS)} (${nowDate} - 15 min.)`
      : `Signature not yet current: ${amzDate} is still later than ${toAmzDate(now + MAX_SKEW_MS)} (${nowDate} + 15 min.)`;
  return service === 'secretsmanager' || service === 'dynamodb' || service === 'organizations' || service === 'ssm'
    ? new AwsError('InvalidSignatureException', message, 400)
    : new AwsError('SignatureDoesNotMatch', message, 403);
}


function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function requestExpired(expiresSeconds: number | undefined, expiresAtMs: number, now: number): AwsError {
  return new AwsError('AccessDenied', 'Request has expired', 403, 'Sender', {
    ...(expiresSeconds !== undefined ? { 'X-Amz-Expires': String(expiresSeconds) } : {}),
    Expires: isoSeconds(expiresAtMs),
    ServerTime: isoSeconds(now),
  });
}

/** The credential record for a key if it is usable now (known, active, propagated, token matches, not expired). */
function usableCredential(service: ServiceName, store: CredentialStore, accessKeyId: string, token: string | undefined, now: number): CredentialRecord {
  const record = store.lookup(accessKeyId);
  if (!record || !record.active || record.effectiveAt > now) throw unknownKey(service, accessKeyId);
  if (record.sessionToken !== undefined) {
    if (token !== record.sessionToken) throw badToken(service, accessKeyId, token !== undefined);
    if (record.expiresAt !== undefined && record.expiresAt <= now) throw expiredToken(service);
  } else if (token !== undefined && token !== '') {
    throw badToken(service, accessKeyId, true);
  }
  return record;
}

/** S3 signature version 2 (header or presigned query). */
function authenticateSigV2(auth: SigV2Auth, input: AuthInput, store: CredentialStore): Authenticated {
  if (auth.presigned) {
    const expiresMs = (auth.expires ?? 0) * 1000;
    if (input.now > expiresMs) throw requestExpired(undefined, expiresMs, input.now);
  } else {
    const dateMs = auth.date === undefined ? Number.NaN : Date.parse(auth.date);
    if (Number.isNaN(dateMs)) throw new AwsError('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header', 403);
    if (Math.abs(input.now - dateMs) > MAX_SKEW_MS) throw skewed('s3', toAmzDate(dateMs), input.now);
  }
  const record = usableCredential('s3', store, auth.accessKeyId, auth.securityToken, input.now);
  const verdict = verifySigV2(auth, record.secretAccessKey, input.method, input.rawPath, input.rawQuery, input.rawHeaders);
  if (!verdict.ok) {
    throw new AwsError(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      403,
      'Sender',
      { AWSAccessKeyId: auth.accessKeyId, StringToSign: verdict.stringToSign, SignatureProvided: auth.signature, StringToSignBytes: hexBytes(verdict.stringToSign) },
    );
  }
  return { principal: record.principal, region: input.defaultRegion ?? 'us-east-1', payloadHash: 'UNSIGNED-PAYLOAD' };
}

/**
 * Authenticates a request for `service`; throws the service's AwsError on failure.
 * The body passed in is the raw (still aws-chunked) payload as received.
 */
export function authenticate(service: ServiceName, input: AuthInput, store: CredentialStore): Authenticated {
  if (service === 's3') {
    const v2 = parseSigV2(input.rawHeaders, input.rawQuery);
    if (v2) return authenticateSigV2(v2, input, store);
  }
  const parsed = parseAuth(input.rawHeaders, input.rawQuery);
  if (parsed.kind === 'none') throw missing(service);
  if (parsed.kind === 'malformed') throw malformed(service, parsed.message, parsed.unsupportedAlgorithm ?? false);
  const { auth } = parsed;
  const cred = auth.credential;

  const requestMs = amzDateToMs(auth.amzDate);
  if (Number.isNaN(requestMs)) throw malformed(service, `Invalid date ${auth.amzDate}`, false);
  if (auth.amzDate.slice(0, 8) !== cred.date) {
    throw service === 's3'
      ? malformed(service, 'Invalid credential date. Date is not the same as X-Amz-Date.', false)
      : signatureMismatch(service, cred.accessKeyId, { stringToSign: '', canonicalRequest: '', signature: auth.signature });
  }
  if (auth.presigned) {
    const expires = auth.expiresSeconds ?? 604800;
    if (expires > 604800) throw malformed(service, 'X-Amz-Expires must be less than a week (in seconds) that is 604800', false);
    if (input.now > requestMs + expires * 1000) throw requestExpired(expires, requestMs + expires * 1000, input.now);
    if (requestMs > input.now + MAX_SKEW_MS) throw skewed(service, auth.amzDate, input.now);
  } else if (Math.abs(input.now - requestMs) > MAX_SKEW_MS) {
    throw skewed(service, auth.amzDate, input.now);
  }

  const record = usableCredential(service, store, cred.accessKeyId, auth.securityToken, input.now);
  const s3 = service === 's3';
  const payloadHash = signedPayloadHash(input.rawHeaders, input.body, s3, auth.presigned, input.rawQuery);
  const verdict = verifySignature({
    auth,
    secretAccessKey: record.secretAccessKey,
    method: input.method,
    rawPath: input.rawPath,
    rawQuery: input.rawQuery,
    rawHeaders: input.rawHeaders,
    payloadHash,
    s3,
  });
  if (!verdict.ok) {
    if (verdict.reason === 'missing-signed-header') {
      throw malformed(service, `Signed headers must include 'host'. Credential=${cred.accessKeyId}/${credentialScope(cred)}`, false);
    }
    throw signatureMismatch(service, cred.accessKeyId, {
      stringToSign: verdict.stringToSign,
      canonicalRequest: verdict.canonicalRequest,
      signature: auth.signature,
    });
  }
  const claimed = firstHeader(input.rawHeaders, 'x-amz-content-sha256') !== undefined;
  if (claimed && /^[0-9a-f]{64}$/i.test(payloadHash)) {
    const computed = sha256Hex(input.body);
    if (computed !== payloadHash.toLowerCase()) {
      throw new AwsError('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", 400, 'Sender', {
        ClientComputedContentSHA256: payloadHash,
        S3ComputedContentSHA256: computed,
      });
    }
  }
  return { principal: record.principal, region: cred.region, payloadHash };
}
