/**
 * Named Palette API errors.
 *
 * Step Functions matches Lambda failures by the error's `name` (the `errorType` the Lambda runtime reports), so every
 * class carries a fixed `name` string set on its prototype. It does not depend on `constructor.name`, which a
 * minifying bundler (esbuild) renames.
 *
 * Messages and `details` never contain secrets: the transport scrubs every credential value it knows about (request
 * body secrets, token, API key) before building an error (see redact.ts).
 */
import { STATUS_CODES } from 'node:http';

export const PALETTE_ERROR_NAMES = [
  'PaletteApiError',
  'PaletteAuthError',
  'PaletteForbiddenError',
  'PaletteNotFoundError',
  'PaletteConflictError',
  'PaletteValidationError',
  'PaletteThrottledError',
  'PaletteServerError',
  'PaletteCertificateError',
] as const;
export type PaletteErrorName = (typeof PALETTE_ERROR_NAMES)[number];

export interface PaletteErrorInit {
  /** HTTP status; 0 when no response was received (connection failure, timeout). */
  status: number;
  /** Palette's `V1Error.code`, the HTTP status text for non-JSON bodies, or a transport code (e.g. ECONNRESET). */
  code: string;
  /** Palette's `V1Error.message` (already scrubbed of secrets). */
  message: string;
  ref?: string | undefined;
  details?: unknown;
  method: string;
  /** URL path of the request, without the query string. */
  path: string;
  /** Number of HTTP attempts made before giving up. */
  attempts?: number | undefined;
  cause?: unknown;
}

export class PaletteApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly ref: string | undefined;
  readonly details: unknown;
  readonly method: string;
  readonly path: string;
  readonly attempts: number;
  /** The server's (scrubbed) message without the method/path/status prefix. */
  readonly serverMessage: string;

  constructor(init: PaletteErrorInit) {
    super(formatMessage(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.ref = init.ref;
    this.details = init.details;
    this.method = init.method;
    this.path = init.path;
    this.attempts = init.attempts ?? 1;
    this.serverMessage = init.message;
  }

  /** Serialisable summary (what a Lambda may put into its output or logs). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      status: this.status,
      code: this.code,
      ref: this.ref,
      method: this.method,
      path: this.path,
      attempts: this.attempts,
    };
  }
}

/** 401: missing, invalid or expired token / API key (after one re-authentication). */
export class PaletteAuthError extends PaletteApiError {}
/** 403: the identity may not perform the operation. */
export class PaletteForbiddenError extends PaletteApiError {}
/** 404: the resource or one of its dependencies does not exist. */
export class PaletteNotFoundError extends PaletteApiError {}
/** 409: conflict, e.g. a duplicate name (Palette's behaviour here is unconfirmed). */
export class PaletteConflictError extends PaletteApiError {}
/** 400 / 422: the payload does not match the schema or failed validation. */
export class PaletteValidationError extends PaletteApiError {}
/** 429 that persisted until the retry budget ran out. */
export class PaletteThrottledError extends PaletteApiError {}
/** 5xx, or a connection failure / timeout (status 0), after the retry budget ran out or when retrying was unsafe. */
export class PaletteServerError extends PaletteApiError {}
/**
 * Status 0: Palette's TLS certificate was refused (it chains to no trusted root, names another host, has expired...).
 * Permanent: time does not fix a certificate. A self-hosted instance with a private CA needs the CA bundle
 * (stack config `paletteCaBundle`); `code` is Node's verification code.
 */
export class PaletteCertificateError extends PaletteApiError {}

/**
 * Node's certificate verification failures (OpenSSL's X509_V_ERR_* names as Node reports them, and Node's own
 * host-name check): a request that failed with one never reached Palette, and sending it again cannot succeed.
 */
export const TLS_CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const NAMED: ReadonlyArray<readonly [abstract new (init: PaletteErrorInit) => PaletteApiError, PaletteErrorName]> = [
  [PaletteApiError, 'PaletteApiError'],
  [PaletteAuthError, 'PaletteAuthError'],
  [PaletteForbiddenError, 'PaletteForbiddenError'],
  [PaletteNotFoundError, 'PaletteNotFoundError'],
  [PaletteConflictError, 'PaletteConflictError'],
  [PaletteValidationError, 'PaletteValidationError'],
  [PaletteThrottledError, 'PaletteThrottledError'],
  [PaletteServerError, 'PaletteServerError'],
  [PaletteCertificateError, 'PaletteCertificateError'],
];
for (const [cls, name] of NAMED) {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true, enumerable: false });
}

export function isPaletteApiError(error: unknown): error is PaletteApiError {
  return error instanceof PaletteApiError;
}

/** Picks the class for an HTTP status (status 0 = no response). */
export function errorClassForStatus(status: number): new (init: PaletteErrorInit) => PaletteApiError {
  if (status === 400 || status === 422) return PaletteValidationError;
  if (status === 401) return PaletteAuthError;
  if (status === 403) return PaletteForbiddenError;
  if (status === 404) return PaletteNotFoundError;
  if (status === 409) return PaletteConflictError;
  if (status === 429) return PaletteThrottledError;
  if (status === 0 || status >= 500) return PaletteServerError;
  return PaletteApiError;
}

export function createPaletteError(init: PaletteErrorInit): PaletteApiError {
  if (init.status === 0 && TLS_CERTIFICATE_CODES.has(init.code)) return new PaletteCertificateError(init);
  const Cls = errorClassForStatus(init.status);
  return new Cls(init);
}

/** HTTP status text, like Go's http.StatusText (used as `code` for non-JSON error bodies). */
export function statusText(status: number, fromResponse?: string): string {
  if (fromResponse !== undefined && fromResponse.trim() !== '') return fromResponse;
  return STATUS_CODES[status] ?? `HTTP ${status}`;
}

function formatMessage(init: PaletteErrorInit): string {
  const where = `Palette ${init.method} ${init.path}`;
  const status = init.status === 0 ? 'no response' : String(init.status);
  const ref = init.ref ? ` (ref ${init.ref})` : '';
  const attempts = init.attempts !== undefined && init.attempts > 1 ? ` after ${init.attempts} attempts` : '';
  const message = init.message && init.message !== init.code ? `: ${init.message}` : '';
  return `${where} failed${attempts}: ${status} ${init.code}${message}${ref}`;
}
