/**
 * Account vending (README "Account vending"), pure: a new AWS account, announced by AWS Control Tower
 * (`CreateManagedAccount`, `UpdateManagedAccount` lifecycle events) or AWS Organizations (`CreateAccountResult`, for
 * organizations without Control Tower), becomes an onboarding request built from the deployment's request template.
 *
 * - The events: EventBridge envelopes with source `aws.controltower` / `aws.organizations`, detail-type
 *   `AWS Service Event via CloudTrail` and the CloudTrail record as `detail` (`detail.eventName`,
 *   `detail.serviceEventDetails.<createManagedAccountStatus | updateManagedAccountStatus | createAccountStatus>`).
 *   Only objects and fields read here are checked; AWS may add fields.
 * - `vendedAccountOf(event)`: the account (id, name, event name, ...), or why the event starts nothing: `ignored`
 *   (a state other than SUCCEEDED: delivered, logged) or `rejected` (not a vending event of this shape: the record
 *   fails and reaches the dead-letter queue).
 * - The tenant id: from the account name (`tenantIdFromName`) or from an account tag (`tenantIdFromTag`); never
 *   truncated or guessed, so two accounts never silently become one tenant (two names that normalize alike do map
 *   to one tenant id: the tenant registry's binding then fails the second account's onboarding, see the README).
 * - The request: the template (an onboarding request without `tenantId` and `aws.accountId`) with the placeholders
 *   `${tenantId}`, `${accountId}`, `${accountName}` replaced in its string values, plus the two fields
 *   (`requestFromTemplate`); `templateIssues` checks a template at synth with the product's request schema.
 */
import * as z from 'zod';
import { toIssues } from './plan';
import { OnboardingRequestSchema, TENANT_ID } from './request';

/** The EventBridge side of the three events. */
export const ACCOUNT_VENDING_EVENTS = {
  detailType: 'AWS Service Event via CloudTrail',
  controlTowerSource: 'aws.controltower',
  organizationsSource: 'aws.organizations',
  /** Control Tower lifecycle events (Account Factory). */
  controlTowerEventNames: ['CreateManagedAccount', 'UpdateManagedAccount'],
  /** AWS Organizations: the end of CreateAccount's background workflow. */
  organizationsEventNames: ['CreateAccountResult'],
} as const;

export const ACCOUNT_VENDING_SOURCES = [ACCOUNT_VENDING_EVENTS.controlTowerSource, ACCOUNT_VENDING_EVENTS.organizationsSource] as const;
export const ACCOUNT_VENDING_EVENT_NAMES = [
  ...ACCOUNT_VENDING_EVENTS.controlTowerEventNames,
  ...ACCOUNT_VENDING_EVENTS.organizationsEventNames,
] as const;
export type AccountVendingEventName = (typeof ACCOUNT_VENDING_EVENT_NAMES)[number];

/** An event the starter hands to account vending: one of the two sources with the CloudTrail detail-type. */
export function isAccountVendingEvent(event: { source?: string; detailType?: string }): boolean {
  return (
    event.detailType === ACCOUNT_VENDING_EVENTS.detailType &&
    (ACCOUNT_VENDING_SOURCES as readonly (string | undefined)[]).includes(event.source)
  );
}

// ---- the events ---------------------------------------------------------------------------------------------

const ACCOUNT_ID = /^\d{12}$/;
const accountId = z.string().regex(ACCOUNT_ID, 'must be a 12-digit AWS account id');

/** Control Tower: `{organizationalUnit, account: {accountName, accountId}, state, message, ...}`. */
const ManagedAccountStatusSchema = z.looseObject({
  organizationalUnit: z.looseObject({ organizationalUnitId: z.string().optional(), organizationalUnitName: z.string().optional() }).optional(),
  account: z.looseObject({ accountName: z.string(), accountId }),
  state: z.string(),
});

/** Organizations: `{id, state, accountName, accountId, failureReason?, ...}` (no accountId when it FAILED). */
const CreateAccountStatusSchema = z.looseObject({
  state: z.string(),
  accountName: z.string().optional(),
  accountId: z.string().optional(),
  failureReason: z.string().optional(),
});

const EnvelopeSchema = z.looseObject({
  id: z.string().min(1),
  source: z.enum(ACCOUNT_VENDING_SOURCES),
  'detail-type': z.literal(ACCOUNT_VENDING_EVENTS.detailType),
  account: z.string().optional(),
  time: z.string().optional(),
  detail: z.looseObject({
    eventName: z.string(),
    eventID: z.string().optional(),
    serviceEventDetails: z.looseObject({}),
  }),
});

const STATUS_KEY: Record<AccountVendingEventName, string> = {
  CreateManagedAccount: 'createManagedAccountStatus',
  UpdateManagedAccount: 'updateManagedAccountStatus',
  CreateAccountResult: 'createAccountStatus',
};
const SOURCE_OF: Record<AccountVendingEventName, string> = {
  CreateManagedAccount: ACCOUNT_VENDING_EVENTS.controlTowerSource,
  UpdateManagedAccount: ACCOUNT_VENDING_EVENTS.controlTowerSource,
  CreateAccountResult: ACCOUNT_VENDING_EVENTS.organizationsSource,
};

/** The account an event announces. */
export interface VendedAccount {
  eventName: AccountVendingEventName;
  source: string;
  /** The EventBridge event's id (the same for every delivery of one event). */
  eventId: string;
  accountId: string;
  /**
   * The account's name as the event gives it; undefined when the event masks it (AWS Organizations' CloudTrail
   * records show `"accountName": "****"`) or has none: then the name must be looked up (DescribeAccount).
   */
  accountName?: string;
  /** Control Tower: the OU the account is in. */
  organizationalUnitId?: string;
}

export type VendingOutcome =
  | { kind: 'account'; account: VendedAccount }
  /** A state other than SUCCEEDED: nothing to onboard (delivered, logged). */
  | { kind: 'ignored'; reason: string; eventName: string; accountId?: string }
  /** Not a vending event of the documented shape: permanent for the message. */
  | { kind: 'rejected'; reason: string };

const issueText = (error: z.ZodError, prefix: string): string =>
  error.issues
    .slice(0, 3)
    .map((i) => `${[prefix, ...i.path.map(String)].filter((p) => p !== '').join('.') || '(root)'}: ${i.message}`)
    .join('; ');

/** A name that only shows that there is one: empty, or made of `*` (CloudTrail's masking). */
export const isMaskedName = (name: string | undefined): boolean => name === undefined || /^\**$/.test(name.trim());

/** What the event announces: the account, or why it starts nothing. */
export function vendedAccountOf(event: unknown): VendingOutcome {
  const envelope = EnvelopeSchema.safeParse(event);
  if (!envelope.success) return { kind: 'rejected', reason: `not an account vending event: ${issueText(envelope.error, '')}` };
  const { detail, source, id } = envelope.data;
  const eventName = detail.eventName;
  if (!(ACCOUNT_VENDING_EVENT_NAMES as readonly string[]).includes(eventName)) {
    return { kind: 'rejected', reason: `detail.eventName '${eventName.slice(0, 64)}' is none of ${ACCOUNT_VENDING_EVENT_NAMES.join(', ')}` };
  }
  const name = eventName as AccountVendingEventName;
  if (SOURCE_OF[name] !== source) return { kind: 'rejected', reason: `detail.eventName '${name}' does not come from source '${source}'` };
  const key = STATUS_KEY[name];
  const path = `detail.serviceEventDetails.${key}`;
  const raw = detail.serviceEventDetails[key];
  if (name === 'CreateAccountResult') {
    const status = CreateAccountStatusSchema.safeParse(raw);
    if (!status.success) return { kind: 'rejected', reason: issueText(status.error, path) };
    const s = status.data;
    if (s.state !== 'SUCCEEDED') {
      return { kind: 'ignored', eventName: name, reason: `${path}.state is '${s.state}'${s.failureReason ? ` (${s.failureReason})` : ''}, not SUCCEEDED`, ...(s.accountId ? { accountId: s.accountId } : {}) };
    }
    if (s.accountId === undefined || !ACCOUNT_ID.test(s.accountId)) return { kind: 'rejected', reason: `${path}.accountId: must be a 12-digit AWS account id` };
    return {
      kind: 'account',
      account: { eventName: name, source, eventId: id, accountId: s.accountId, ...(isMaskedName(s.accountName) ? {} : { accountName: s.accountName }) },
    };
  }
  const status = ManagedAccountStatusSchema.safeParse(raw);
  if (!status.success) return { kind: 'rejected', reason: issueText(status.error, path) };
  const s = status.data;
  if (s.state !== 'SUCCEEDED') return { kind: 'ignored', eventName: name, accountId: s.account.accountId, reason: `${path}.state is '${s.state}', not SUCCEEDED` };
  const ou = s.organizationalUnit?.organizationalUnitId;
  return {
    kind: 'account',
    account: {
      eventName: name,
      source,
      eventId: id,
      accountId: s.account.accountId,
      ...(isMaskedName(s.account.accountName) ? {} : { accountName: s.account.accountName }),
      ...(ou ? { organizationalUnitId: ou } : {}),
    },
  };
}

// ---- the tenant id ------------------------------------------------------------------------------------------

/** Where the tenant id comes from (config `accountVendingTenantIdFrom`): the account's name, or one of its tags. */
export type TenantIdSource = { from: 'accountName' } | { from: 'tag'; tagKey: string };

/** An AWS Organizations tag key (1-128 characters). */
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
export const TENANT_ID_FROM = /^(accountName|tag:.+)$/;

/** `accountName` or `tag:<TagKey>`; undefined when it is neither. */
export function parseTenantIdSource(text: string): TenantIdSource | undefined {
  if (text === 'accountName') return { from: 'accountName' };
  if (text.startsWith('tag:') && TAG_KEY.test(text.slice(4))) return { from: 'tag', tagKey: text.slice(4) };
  return undefined;
}

export type TenantIdResult = { ok: true; tenantId: string } | { ok: false; reason: string };

const quoted = (s: string): string => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...` : s);

/**
 * The tenant id of an account name: lowercased, every run of characters outside [a-z0-9] becomes one '-', leading
 * and trailing '-' removed; the result must be a tenant id (3-32 characters, a letter first). Nothing is truncated
 * or invented: a name that does not give a tenant id is a reason.
 */
export function tenantIdFromName(accountName: string): TenantIdResult {
  const id = accountName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const from = `the account name ${quoted(accountName)}`;
  if (id === '') return { ok: false, reason: `${from} has no letters or digits (a-z, 0-9) to make a tenant id of` };
  if (TENANT_ID.test(id)) return { ok: true, tenantId: id };
  if (!/^[a-z]/.test(id)) return { ok: false, reason: `${from} gives the tenant id '${id}', which does not start with a letter` };
  if (id.length > 32) return { ok: false, reason: `${from} gives a tenant id of ${id.length} characters ('${id.slice(0, 40)}...'); at most 32 are allowed (nothing is truncated: rename the account or use accountVendingTenantIdFrom tag:<key>)` };
  return { ok: false, reason: `${from} gives the tenant id '${id}'; a tenant id has 3-32 characters` };
}

/** The tenant id from the account's tags: the tag's value, which must already be a tenant id. */
export function tenantIdFromTag(tags: readonly { Key?: string; Value?: string }[], tagKey: string, accountId: string): TenantIdResult {
  const tag = tags.find((t) => t.Key === tagKey);
  if (tag === undefined) return { ok: false, reason: `account ${accountId} has no tag '${tagKey}' (accountVendingTenantIdFrom tag:${tagKey})` };
  const value = tag.Value ?? '';
  if (!TENANT_ID.test(value)) {
    return { ok: false, reason: `account ${accountId}'s tag '${tagKey}' is ${quoted(value)}, not a tenant id (3-32 lowercase letters, digits and hyphens, starting with a letter)` };
  }
  return { ok: true, tenantId: value };
}

// ---- the request template ----------------------------------------------------------------------------------

export const TEMPLATE_PLACEHOLDERS = ['tenantId', 'accountId', 'accountName'] as const;
export type TemplateValues = Record<(typeof TEMPLATE_PLACEHOLDERS)[number], string>;

/** Values used to check a template at synth. */
export const SAMPLE_TEMPLATE_VALUES: TemplateValues = { tenantId: 'sample-tenant', accountId: '123456789012', accountName: 'Sample Account' };

const PLACEHOLDER = /\$\{([^}]*)\}/g;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Replaces the placeholders in every string value (never in keys). */
function substitute(value: unknown, values: TemplateValues): unknown {
  if (typeof value === 'string') return value.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(values, name) ? values[name as keyof TemplateValues] : whole));
  if (Array.isArray(value)) return value.map((v) => substitute(v, values));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, values)]));
  return value;
}

/** The onboarding request for one account: the template's placeholders replaced, plus `tenantId` and `aws.accountId`. */
export function requestFromTemplate(template: Record<string, unknown>, values: TemplateValues): Record<string, unknown> {
  const filled = substitute(template, values) as Record<string, unknown>;
  const aws = isObject(filled.aws) ? filled.aws : {};
  return { tenantId: values.tenantId, ...filled, aws: { ...aws, accountId: values.accountId } };
}

export interface TemplateIssue {
  /** The field in the template (`aws.region`), or '' for the template itself. */
  path: string;
  message: string;
}

/** Unknown `${...}` placeholders in string values, by field. */
function placeholderIssues(value: unknown, path: string[] = []): TemplateIssue[] {
  if (typeof value === 'string') {
    const unknown = [...value.matchAll(PLACEHOLDER)].map((m) => m[1] as string).filter((n) => !(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(n));
    return unknown.length === 0
      ? []
      : [{ path: path.join('.'), message: `unknown placeholder ${unknown.map((n) => `\${${n}}`).join(', ')} (known: ${TEMPLATE_PLACEHOLDERS.map((n) => `\${${n}}`).join(', ')})` }];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => placeholderIssues(v, [...path, String(i)]));
  if (isObject(value)) return Object.entries(value).flatMap(([k, v]) => placeholderIssues(v, [...path, k]));
  return [];
}

/**
 * What is wrong with a request template (empty: nothing): it must be a JSON object, must not set `tenantId` or
 * `aws.accountId` (every event gives them), may only use the known placeholders, and, with sample values for them,
 * must be a valid onboarding request (the product's request schema; issues name the template's field).
 */
export function templateIssues(template: unknown): TemplateIssue[] {
  if (!isObject(template)) return [{ path: '', message: `must be a JSON object (an onboarding request without tenantId and aws.accountId), not ${Array.isArray(template) ? 'an array' : typeof template}` }];
  const issues: TemplateIssue[] = [];
  if ('tenantId' in template) issues.push({ path: 'tenantId', message: 'must not be set: the tenant id comes from each account (accountVendingTenantIdFrom)' });
  if (isObject(template.aws) && 'accountId' in template.aws) issues.push({ path: 'aws.accountId', message: 'must not be set: the account id comes from each event' });
  issues.push(...placeholderIssues(template));
  if (issues.length > 0) return issues;
  const parsed = OnboardingRequestSchema.safeParse(requestFromTemplate(template, SAMPLE_TEMPLATE_VALUES));
  if (parsed.success) return [];
  return toIssues(parsed.error).map((i) => ({ path: i.path, message: `${i.message} (checked with ${Object.entries(SAMPLE_TEMPLATE_VALUES).map(([k, v]) => `${k}=${v}`).join(', ')})` }));
}
