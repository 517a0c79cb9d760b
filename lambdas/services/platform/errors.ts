/** Named errors of the platform setup (Step Functions matches on `name`). Messages never hold secret values. */

/** The system console login (POST /v1/auth/syslogin) was rejected: wrong username or password. Not retried. */
export class SystemLoginError extends Error {
  override readonly name = 'PaletteSystemLoginError';
}

/**
 * A new access key is not usable yet (IAM is eventually consistent: STS answers InvalidClientTokenId for a
 * few seconds). Retried by the state machine with its own, longer backoff before Palette is pointed at the key.
 */
export class AccessKeyNotReadyError extends Error {
  override readonly name = 'AccessKeyNotReadyError';
}


/**
 * Palette's system STS account is not this deployment's and changed while the execution ran (CheckSystemLogin saw
 * something else): it is left alone. Not retried; the next run decides again (with takeOver to replace it).
 */
export class StsAccountNotOursError extends Error {
  override readonly name = 'StsAccountNotOursError';
}
