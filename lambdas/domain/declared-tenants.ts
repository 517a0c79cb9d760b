/**
 * Declared tenants (README "Declared tenants"): the tenants a deployment declares in its config (stack config
 * `tenantsDirectory`, a folder of `<tenantId>.json` onboarding requests), onboarded on `cdk deploy` and offboarded when
 * removed, through the custom resource `Custom::PaletteDeclaredTenants`. Pure: parsing the files, the diff between two
 * declarations, the executions a CloudFormation request starts (names deterministic per request), and the message a
 * failed deployment shows.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { canonicalJson, executionNameFor } from './names';
import { parseRequest } from './plan';
import { TENANT_ID } from './request';
import { RequestValidationError } from '../shared/errors';

export const DECLARED_TENANTS_RESOURCE_TYPE = 'Custom::PaletteDeclaredTenants';
/** PhysicalResourceId of the custom resource (one per stack; it never changes, so CloudFormation never replaces it). */
export const DECLARED_TENANTS_PHYSICAL_ID = 'palette-declared-tenants';

/**
 * All declared requests together, as JSON text: at most 100 KiB. CloudFormation sends an Update with the old and the
 * new properties, and the Provider framework carries that event through a Step Functions state (256 KiB at most).
 */
export const MAX_DECLARED_TENANTS_BYTES = 100 * 1024;

/** The declared tenants as the custom resource carries them: tenantId -> the request as canonical JSON text. */
export type DeclaredTenants = Record<string, string>;

/** A file of the folder: its name (e.g. `acme.json`) and its text. */
export interface DeclaredTenantFile {
  fileName: string;
  text: string;
}

/** A problem of one file (`path` = the field, '' for the file itself); fileName '' = the folder as a whole. */
export interface DeclaredTenantIssue {
  fileName: string;
  path: string;
  message: string;
}

/**
 * Parses the folder's `*.json` files (other files are the caller's to skip): each one an onboarding request
 * (OnboardingRequestSchema, with its size limit), named `<tenantId>.json`. Returns tenantId -> canonical JSON of the
 * request AS GIVEN (defaults are not filled in: the workflow does that, and a default changing in a new version is no
 * change of the declaration), or the issues, each naming the file and the field.
 */
export function parseDeclaredTenantFiles(files: readonly DeclaredTenantFile[]): { tenants: DeclaredTenants; issues: DeclaredTenantIssue[] } {
  const tenants: DeclaredTenants = {};
  const issues: DeclaredTenantIssue[] = [];
  for (const { fileName, text } of [...files].sort((a, b) => (a.fileName < b.fileName ? -1 : 1))) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      issues.push({ fileName, path: '', message: `not JSON (${e instanceof Error ? e.message : String(e)})` });
      continue;
    }
    try {
      parseRequest(raw);
    } catch (e) {
      if (!(e instanceof RequestValidationError)) throw e;
      for (const i of e.issues) issues.push({ fileName, path: i.path, message: i.message });
      continue;
    }
    const tenantId = (raw as { tenantId: string }).tenantId;
    const expected = `${tenantId}.json`;
    if (fileName !== expected) {
      issues.push({ fileName, path: 'tenantId', message: `is "${tenantId}": the file must be named ${expected} (one file per tenant, named for it)` });
      continue;
    }
    tenants[tenantId] = canonicalJson(raw);
  }
  const bytes = Object.values(tenants).reduce((n, t) => n + Buffer.byteLength(t, 'utf8'), 0);
  if (issues.length === 0 && bytes > MAX_DECLARED_TENANTS_BYTES) {
    issues.push({
      fileName: '',
      path: '',
      message: `the declared requests are ${bytes} bytes of JSON together; at most ${MAX_DECLARED_TENANTS_BYTES} bytes (100 KiB) are allowed`,
    });
  }
  return { tenants: issues.length === 0 ? tenants : {}, issues };
}

// ---- the custom resource ----------------------------------------------------------------------------------

const STATE_MACHINE_ARN = /^arn:[\w-]+:states:[\w-]+:\d{12}:stateMachine:[\w-]{1,80}$/;

/** Properties of `Custom::PaletteDeclaredTenants` (CloudFormation passes every leaf value as a string). */
export const DeclaredTenantsPropertiesSchema = z.looseObject({
  OnboardingStateMachineArn: z.string().regex(STATE_MACHINE_ARN, 'must be a state machine ARN'),
  OffboardingStateMachineArn: z.string().regex(STATE_MACHINE_ARN, 'must be a state machine ARN'),
  /** tenantId -> the request as JSON text; absent = no tenant declared (CloudFormation drops an empty object). */
  Tenants: z
    .record(z.string().regex(TENANT_ID, 'must be a tenant id'), z.string().min(2))
    .default({}),
});
export type DeclaredTenantsProperties = z.output<typeof DeclaredTenantsPropertiesSchema>;

export interface DeclaredTenantsDiff {
  /** New tenants, and tenants whose request changed: onboarded with the new request. */
  onboard: string[];
  /** Tenants no longer declared: offboarded with the defaults (bucket retained, refused while in use). */
  offboard: string[];
  unchanged: string[];
}

/** The same request? Compared as canonical JSON (key order and whitespace do not matter). */
function sameRequest(a: string, b: string): boolean {
  try {
    return canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b));
  } catch {
    return a === b;
  }
}

/** What a change of the declaration asks for; `before` is empty for a Create. Sorted by tenant id. */
export function diffDeclaredTenants(before: DeclaredTenants, after: DeclaredTenants): DeclaredTenantsDiff {
  const onboard: string[] = [];
  const unchanged: string[] = [];
  for (const [tenantId, request] of Object.entries(after)) {
    const old = before[tenantId];
    if (old !== undefined && sameRequest(old, request)) unchanged.push(tenantId);
    else onboard.push(tenantId);
  }
  const offboard = Object.keys(before).filter((t) => !(t in after));
  return { onboard: onboard.sort(), offboard: offboard.sort(), unchanged: unchanged.sort() };
}

export type DeclaredTenantWorkflow = 'onboarding' | 'offboarding';

export interface DeclaredTenantExecution {
  tenantId: string;
  workflow: DeclaredTenantWorkflow;
  stateMachineArn: string;
  /** Deterministic per CloudFormation request: a retried onEvent (or isComplete) computes the same. */
  name: string;
  executionArn: string;
  /** The execution input (JSON text). */
  input: string;
}

/** The part of a CloudFormation request that decides its executions (same for onEvent and isComplete). */
export interface DeclaredTenantsRequest {
  RequestType: 'Create' | 'Update' | 'Delete';
  RequestId: string;
  properties: DeclaredTenantsProperties;
  oldProperties?: DeclaredTenantsProperties | undefined;
}

/** 10 hex digits of the SHA-256 of the CloudFormation RequestId. */
export const requestHash = (requestId: string): string => createHash('sha256').update(requestId).digest('hex').slice(0, 10);

/** Onboarding of a declared tenant: executionNameFor(request, `deploy-<hash of RequestId>`), e.g. `acme-<12 hex>-deploy-<10 hex>`. */
export const declaredOnboardingExecutionName = (request: unknown, requestId: string): string =>
  executionNameFor(request, `deploy-${requestHash(requestId)}`);

/** Offboarding of a removed tenant: `offboard-<tenantId>-deploy-<hash of RequestId>` (the offboarding names' prefix). */
export const declaredOffboardingExecutionName = (tenantId: string, requestId: string): string => `offboard-${tenantId}-deploy-${requestHash(requestId)}`;

const executionArnOf = (stateMachineArn: string, name: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/**
 * The executions a CloudFormation request starts: none for Delete (tenants outlive the stack); for Create every
 * declared tenant's onboarding; for Update the diff against OldResourceProperties. Offboarding input = `{tenantId}`
 * (the defaults: the bucket is retained, an offboarding is refused while Palette clusters use the tenant).
 */
export function declaredTenantExecutions(req: DeclaredTenantsRequest): DeclaredTenantExecution[] {
  if (req.RequestType === 'Delete') return [];
  const after = req.properties.Tenants;
  const before = req.RequestType === 'Update' ? (req.oldProperties?.Tenants ?? {}) : {};
  const diff = diffDeclaredTenants(before, after);
  const onboarding = diff.onboard.map((tenantId): DeclaredTenantExecution => {
    const input = after[tenantId] as string;
    const name = declaredOnboardingExecutionName(JSON.parse(input) as unknown, req.RequestId);
    const arn = req.properties.OnboardingStateMachineArn;
    return { tenantId, workflow: 'onboarding', stateMachineArn: arn, name, executionArn: executionArnOf(arn, name), input };
  });
  const offboarding = diff.offboard.map((tenantId): DeclaredTenantExecution => {
    const name = declaredOffboardingExecutionName(tenantId, req.RequestId);
    const arn = req.properties.OffboardingStateMachineArn;
    return { tenantId, workflow: 'offboarding', stateMachineArn: arn, name, executionArn: executionArnOf(arn, name), input: JSON.stringify({ tenantId }) };
  });
  return [...onboarding, ...offboarding];
}

// ---- outcome ----------------------------------------------------------------------------------------------

export interface DeclaredTenantOutcome {
  execution: DeclaredTenantExecution;
  status: string;
  error?: string | undefined;
  cause?: string | undefined;
}

/**
 * An offboarding that failed because the registry has no such tenant reached what it was for: the tenant is not
 * onboarded. It happens when a deployment that added a tenant whose onboarding failed before it was registered (an
 * invalid request, an account the guard refuses) rolls back: the rollback offboards the tenants that deployment added.
 */
export const nothingToOffboard = (o: DeclaredTenantOutcome): boolean =>
  o.execution.workflow === 'offboarding' && o.status === 'FAILED' && o.error === 'TenantNotFoundError';

/** CloudFormation's whole response is at most 4 KiB: the reason stays well below. */
export const MAX_FAILURE_MESSAGE = 2000;
const MAX_CAUSE = 500;

/** The errorMessage of a Lambda error document (`{"errorType","errorMessage","trace"}`), else the text itself. */
function causeText(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // plain text
  }
  return cause;
}

const oneLine = (s: string, max: number) => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 3)}...`;
};

/**
 * The reason a deployment fails: every failed tenant with its workflow, execution, error and cause (the cause's
 * message, not its stack trace), bounded to MAX_FAILURE_MESSAGE characters. Failures with a cause come first (they
 * say why); tenants that do not fit are still named at the end.
 */
export function declaredTenantsFailureMessage(failed: readonly DeclaredTenantOutcome[], total: number): string {
  const ordered = [...failed].sort((a, b) => {
    const informative = (o: DeclaredTenantOutcome) => (causeText(o.cause) ? 0 : o.error ? 1 : 2);
    return informative(a) - informative(b) || (a.execution.tenantId < b.execution.tenantId ? -1 : 1);
  });
  const head = `Declared tenants: ${failed.length} of ${total} executions did not succeed.`;
  let message = head;
  const left: string[] = [];
  for (const o of ordered) {
    const cause = causeText(o.cause);
    const part =
      ` Tenant ${o.execution.tenantId}: ${o.execution.workflow} ${o.execution.name} ${o.status}` +
      `${o.error ? `: ${oneLine(o.error, 100)}` : ''}${cause ? `: ${oneLine(cause, MAX_CAUSE)}` : ''}.`;
    if (left.length === 0 && message.length + part.length <= MAX_FAILURE_MESSAGE - 200) message += part;
    else left.push(o.execution.tenantId);
  }
  if (left.length > 0) message += oneLine(` Also failed: ${left.join(', ')}.`, MAX_FAILURE_MESSAGE - message.length);
  return message;
}
