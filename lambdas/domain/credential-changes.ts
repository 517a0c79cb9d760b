/**
 * Credential changes that must reach Palette (README "Credential changes"). Pure.
 *
 * - **Fingerprints.** Palette masks the secrets it holds (an Azure client secret, a GCP key file, MinIO and Azure
 *   location secrets), so a rotated secret cannot be seen by comparing. Each registration whose credentials come from
 *   a tenant's secret carries the annotation `palette-onboarding/credentials-fingerprint`: an HMAC-SHA-256, keyed per
 *   tenant, over the ARN and the **version id** of every secret it was given (never over a value: a version id is a
 *   random UUID, so the fingerprint reveals nothing about the secret, not even whether two tenants share one). A
 *   re-run that reads another version sees another fingerprint: it validates the new credentials with Palette, then
 *   updates the object and the fingerprint in one PUT.
 * - **API key renewal.** A generated Palette API key is renewed within `apiKey.renewWithinDays` of its expiry: a new
 *   key under the other of the registration's two names (`<name>` and `<name>-2`: Palette keeps names unique, and the
 *   old key must stay valid until the new one is stored), stored as the secret's new current version, then the old key
 *   is deleted.
 */
import { createHmac } from 'node:crypto';

/** Annotation holding the fingerprint of the credentials Palette was given. */
export const CREDENTIALS_FINGERPRINT_ANNOTATION = 'palette-onboarding/credentials-fingerprint';
const FINGERPRINT_VERSION = 'v1';

/** One secret a registration's credentials were read from: its ARN and the version read (never its value). */
export interface SecretVersion {
  secretArn: string;
  versionId: string;
}

/**
 * The fingerprint of the credentials read from these secret versions, for this tenant: `v1:` + base64url of an
 * HMAC-SHA-256 keyed with the tenant id over the sorted `ARN@version` lines. Order-independent; another version of
 * any secret, or another tenant, gives another fingerprint.
 */
export function credentialsFingerprint(tenantId: string, versions: readonly SecretVersion[]): string {
  if (versions.length === 0) throw new Error('credentialsFingerprint: no secret versions');
  const lines = [...new Set(versions.map((v) => `${v.secretArn}@${v.versionId}`))].sort();
  const mac = createHmac('sha256', `palette-onboarding/credentials-fingerprint/${FINGERPRINT_VERSION}/${tenantId}`).update(lines.join('\n')).digest('base64url');
  return `${FINGERPRINT_VERSION}:${mac}`;
}

/**
 * What a re-run does with an existing registration's credentials: `same` (nothing to send), `changed` (another
 * secret version than Palette was given: validate, then update), `unknown` (no fingerprint: registered before
 * fingerprints existed, or by someone else and adopted; the credentials are validated and sent once, then the
 * fingerprint recorded: Palette masks them, so whether it holds the current ones cannot be known otherwise).
 */
export type CredentialsState = 'same' | 'changed' | 'unknown';

export function credentialsState(annotations: Readonly<Record<string, string>>, fingerprint: string): CredentialsState {
  const recorded = annotations[CREDENTIALS_FINGERPRINT_ANNOTATION];
  if (recorded === undefined || recorded === '') return 'unknown';
  return recorded === fingerprint ? 'same' : 'changed';
}

// ---- API key renewal ----------------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;

/** Suffix of the registration's second API key name: a renewal creates the new key under the name the current one does not have. */
export const API_KEY_RENEWAL_SUFFIX = '-2';
/** Longest `apiKey.name`: the second name adds the suffix and Palette names stay within 63 characters. */
export const API_KEY_NAME_MAX = 63 - API_KEY_RENEWAL_SUFFIX.length;

/** The two names a registration's API key takes in turn: the request's name, and that name with the suffix. */
export const apiKeyNames = (name: string): readonly [string, string] => [name, `${name}${API_KEY_RENEWAL_SUFFIX}`];

/** The name a renewal gives the new key: the one of the pair the current key does not have. */
export function renewalName(name: string, currentName: string | undefined): string {
  const [first, second] = apiKeyNames(name);
  return currentName === second ? first : second;
}

/** A preset expiry's lifetime in days (`7d` ... `1y`), or undefined for a custom date. */
export function apiKeyLifetimeDays(expiry: string): number | undefined {
  const preset = /^(\d+)([dy])$/.exec(expiry);
  if (!preset) return undefined;
  const n = Number(preset[1]);
  return preset[2] === 'y' ? n * 365 : n;
}

/** Renewal window when the request does not give one: 14 days, at most half of a preset key's lifetime (`7d`: 3). */
export const DEFAULT_RENEW_WITHIN_DAYS = 14;
export function defaultRenewWithinDays(expiry: string): number {
  const lifetime = apiKeyLifetimeDays(expiry);
  return lifetime === undefined ? DEFAULT_RENEW_WITHIN_DAYS : Math.min(DEFAULT_RENEW_WITHIN_DAYS, Math.floor(lifetime / 2));
}

/**
 * Why `renewWithinDays` cannot be used with `expiry`, or undefined: a window as long as a preset key's lifetime would
 * renew every key right after it was created, on every run.
 */
export function renewalWindowProblem(expiry: string, renewWithinDays: number): string | undefined {
  const lifetime = apiKeyLifetimeDays(expiry);
  if (lifetime !== undefined && renewWithinDays >= lifetime) {
    return `must be less than the key's lifetime (${lifetime} days for expiry '${expiry}'), or 0 for no renewal`;
  }
  return undefined;
}

export interface RenewalQuestion {
  /** The current key's expiry as Palette reports it (ISO 8601), if any. */
  expiresAt: string | undefined;
  /** Palette's active state of the current key. */
  isActive: boolean | undefined;
  /** The key was adopted (someone else's key the tenant took over). */
  adopted: boolean;
  /** `apiKey.renewWithinDays` (0: never renew). */
  windowDays: number;
  /** The expiry a key created now would get. */
  newExpiry: Date;
  now: Date;
}

export type RenewalDecision =
  | { renew: true; reason: 'expired' | 'in-window'; daysLeft: number }
  | { renew: false; reason: 'disabled' | 'not-due' | 'inactive' | 'adopted' | 'no-expiry' | 'no-later-expiry'; daysLeft?: number };

/**
 * Whether a run renews the current key: when it expires within the window (or has expired), unless renewal is off
 * (window 0), the key was deactivated (perhaps on purpose: never re-created behind an admin's back), it is adopted (an
 * adopted key is never rotated), or a key created now would not outlive it (a custom expiry date that has not moved).
 */
export function apiKeyRenewal(q: RenewalQuestion): RenewalDecision {
  const expires = q.expiresAt ? Date.parse(q.expiresAt) : Number.NaN;
  if (!Number.isFinite(expires)) return { renew: false, reason: 'no-expiry' };
  const daysLeft = Math.ceil((expires - q.now.getTime()) / DAY_MS);
  if (q.isActive === false) return { renew: false, reason: 'inactive', daysLeft };
  if (q.windowDays <= 0) return { renew: false, reason: 'disabled', daysLeft };
  if (expires - q.now.getTime() > q.windowDays * DAY_MS) return { renew: false, reason: 'not-due', daysLeft };
  if (q.adopted) return { renew: false, reason: 'adopted', daysLeft };
  if (q.newExpiry.getTime() <= expires) return { renew: false, reason: 'no-later-expiry', daysLeft };
  return { renew: true, reason: expires <= q.now.getTime() ? 'expired' : 'in-window', daysLeft };
}
