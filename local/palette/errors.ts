/**
 * Palette's error body (`v1Error` in the spec): `{code, message, ref?, details?}`.
 * Every non-2xx response of the emulator carries one.
 */
export interface V1Error {
  code: string;
  message: string;
  ref?: string;
  details?: Record<string, unknown>;
}

export class PaletteError extends Error {
  override readonly name = 'PaletteError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Extra response headers (e.g. Allow on 405). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toBody(): V1Error {
    const body: V1Error = { code: this.code, message: this.message };
    if (this.details) body.details = this.details;
    return body;
  }
}

/** A request that does not satisfy the spec (or an emulator-enforced rule); names the field. */
export function badRequest(field: string, problem: string, code = 'InvalidRequest'): PaletteError {
  return new PaletteError(400, code, `${field}: ${problem}`, { field });
}

export function notFound(what: string, uid: string): PaletteError {
  return new PaletteError(404, 'ResourceNotFound', `${what} '${uid}' not found`, { uid });
}
