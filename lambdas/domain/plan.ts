/** Turns a raw request into the normalized request and the plan every later state works from. Pure. */
import type { z } from 'zod';
import { RequestValidationError } from '../shared/errors';
import {
  accessKeySecretName,
  backupPolicyName,
  bucketArn,
  bucketName,
  CREATED_BY_TAG,
  IAM_PATH,
  MANAGED_BY_TAG,
  policyArn,
  principalName,
  TENANT_TAG,
} from './names';
import { clusterPolicyKeys, defaultClusterPolicyMode } from './cluster-policies';
import { registrationsPlan } from './registrations';
import { azureCloudViolation, gatewayRef } from './azure-rules';
import { backupEndpointProblem } from './endpoints';
import { MAX_REQUEST_BYTES, OnboardingRequestSchema, type OnboardingRequest } from './request';
import { AwsPlanSchema, PlanSchema, type AwsPlan, type Plan } from './workflow-state';

export interface PlanContext {
  homeAccountId: string;
  /** This deployment's id (managed-by mark). */
  deploymentId: string;
  defaultApiKeySecretArn?: string;
  defaultReadinessSeconds: number;
  executionName: string;
}

/** At most this many issues are reported (the error travels in the state, the failure event and the logs). */
export const MAX_ISSUES = 20;
/** Longest message and longest key shown in a path or a message (user-controlled keys are truncated). */
const MAX_MESSAGE = 300;
const MAX_KEY = 64;

/** `s` with every character outside printable ASCII escaped (\uXXXX): no control, bidi or invisible characters. */
const ascii = (s: string) => s.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const truncate = (s: string, max: number) => (s.length > max ? `${s.slice(0, max)}...` : s);
/** A key as the user wrote it, quoted and made safe to print. */
const quoteKey = (key: string) => ascii(JSON.stringify(truncate(key, MAX_KEY)));

/** `aws.bucket.name`, `backupLocations["odd key"]`, `list[0]`; '' = the request itself (shown as "(root)"). */
const issuePath = (path: readonly PropertyKey[]) =>
  path.reduce<string>((acc, p) => {
    if (typeof p === 'number') return `${acc}[${p}]`;
    const key = String(p);
    if (/^[A-Za-z_$][A-Za-z0-9_$-]{0,63}$/.test(key)) return acc ? `${acc}.${key}` : key;
    return `${acc}[${quoteKey(key)}]`;
  }, '');

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    // zod's wording, with each key quoted, truncated and escaped, and at most five of them listed.
    const keys = issue.keys.slice(0, 5).map((k) => quoteKey(k));
    const more = issue.keys.length > 5 ? ` and ${issue.keys.length - 5} more` : '';
    return `Unrecognized key${issue.keys.length > 1 ? 's' : ''}: ${keys.join(', ')}${more}`;
  }
  return truncate(ascii(issue.message), MAX_MESSAGE);
}

/**
 * Field-level issues of a zod error: one per path (several problems of one field joined with "; "), printable ASCII
 * only, at most MAX_ISSUES of them (the last one then says how many more there are).
 */
export function toIssues(error: z.ZodError): { path: string; message: string }[] {
  const byPath = new Map<string, string[]>();
  for (const issue of error.issues) {
    const path = issuePath(issue.path);
    const messages = byPath.get(path) ?? [];
    const message = issueMessage(issue);
    if (!messages.includes(message)) messages.push(message);
    byPath.set(path, messages);
  }
  const issues = [...byPath].map(([path, messages]) => ({ path, message: messages.join('; ') }));
  if (issues.length <= MAX_ISSUES) return issues;
  const shown = issues.slice(0, MAX_ISSUES);
  const last = shown[MAX_ISSUES - 1] as { path: string; message: string };
  last.message = `${last.message} (and ${issues.length - MAX_ISSUES} more problems not listed)`;
  return shown;
}

/** Size of the request as JSON text (UTF-8 bytes of JSON.stringify): what the state machine holds and starts with. */
export function requestSizeBytes(raw: unknown): number {
  const text = JSON.stringify(raw);
  return text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
}

/** The size limit, checked before anything else: a RequestValidationError at the root naming the size and the limit. */
export function checkRequestSize(raw: unknown): void {
  let bytes: number;
  try {
    bytes = requestSizeBytes(raw);
  } catch {
    // Only a pathological value (nested so deeply that it cannot be serialized) gets here.
    throw new RequestValidationError([{ path: '', message: 'the request cannot be measured as JSON (nested too deeply)' }]);
  }
  if (bytes > MAX_REQUEST_BYTES) {
    throw new RequestValidationError([
      { path: '', message: `the request is ${bytes} bytes of JSON; at most ${MAX_REQUEST_BYTES} bytes (32 KiB) are allowed` },
    ]);
  }
}

/** Validates the request (its size first); throws RequestValidationError naming every bad field. */
export function parseRequest(raw: unknown): OnboardingRequest {
  checkRequestSize(raw);
  const parsed = OnboardingRequestSchema.safeParse(raw);
  if (!parsed.success) throw new RequestValidationError(toIssues(parsed.error));
  return parsed.data;
}

export function buildPlan(raw: unknown, ctx: PlanContext): { request: OnboardingRequest; plan: Plan } {
  const request = parseRequest(raw);
  const { tenantId, aws } = request;
  const apiKeySecretArn = request.palette.apiKeySecretArn ?? ctx.defaultApiKeySecretArn;
  if (!apiKeySecretArn) {
    throw new RequestValidationError([
      { path: 'palette.apiKeySecretArn', message: 'required: this deployment has no default Palette API-key secret' },
    ]);
  }
  const registrations = registrationsPlan(request);
  const core = {
    tenantId,
    executionName: ctx.executionName,
    deploymentId: ctx.deploymentId,
    homeAccountId: ctx.homeAccountId,
    paletteApiKeySecretArn: apiKeySecretArn,
    ...(request.palette.projectUid ? { projectUid: request.palette.projectUid } : {}),
    tags: { [CREATED_BY_TAG]: ctx.executionName, [TENANT_TAG]: tenantId, [MANAGED_BY_TAG]: ctx.deploymentId },
    registrations,
  };
  // No aws section: Palette registrations only (an Azure-only or GCP-only tenant).
  if (!aws) return { request, plan: PlanSchema.parse(core) };
  const bucket = aws.bucket.name ?? bucketName(tenantId, aws.accountId, aws.region);
  const policyName = backupPolicyName(tenantId);
  const clusterPolicyMode = aws.clusterPolicies ?? defaultClusterPolicyMode(registrations.cloudAccount !== undefined);
  const plan: AwsPlan = {
    ...core,
    target: {
      accountId: aws.accountId,
      region: aws.region,
      partition: aws.partition,
      roleName: aws.executionRoleName,
      assumeRole: aws.accountId !== ctx.homeAccountId,
    },
    credentialMode: aws.credentialMode,
    bucketName: bucket,
    bucketArn: bucketArn(aws.partition, bucket),
    ...(aws.bucket.kmsKeyArn ? { kmsKeyArn: aws.bucket.kmsKeyArn } : {}),
    versioning: aws.bucket.versioning,
    ...(aws.bucket.lifecycle ? { lifecycle: aws.bucket.lifecycle } : {}),
    policyName,
    policyArn: policyArn(aws.partition, aws.accountId, policyName),
    principalName: principalName(tenantId),
    iamPath: IAM_PATH,
    accessKeySecretName: accessKeySecretName(tenantId),
    rotateAccessKey: aws.rotateAccessKey,
    adopt: { bucket: aws.bucket.adopt, backupPolicy: aws.backupPolicy.adopt, principal: aws.principal.adopt },
    readinessTimeoutSeconds: request.options.readinessTimeoutSeconds ?? ctx.defaultReadinessSeconds,
    clusterPolicies: { mode: clusterPolicyMode, policies: clusterPolicyKeys(clusterPolicyMode) },
  };
  return { request, plan: AwsPlanSchema.parse(plan) };
}

export interface RequestRulesContext extends PlanContext {
  /** Palette is self-hosted (the Azure US Government gateway rule then needs Palette's accounts: checked later). */
  selfHosted: boolean;
  /** Local / test deployments may use http and loopback backup endpoints (lambdas/domain/endpoints.ts). */
  allowInsecureEndpoints: boolean;
}

/**
 * Every rule ValidateRequest applies without a call to AWS or Palette: the request's schema and size (buildPlan),
 * the Azure cloud and gateway rules (those that need no Palette data), and the backup endpoint rule (S3 and MinIO).
 * Throws RequestValidationError naming the field; returns the plan. The account guard and the tenant registry's admission follow in the handler.
 */
export function planRequest(raw: unknown, ctx: RequestRulesContext): Plan {
  const { plan } = buildPlan(raw, ctx);
  const azure = plan.registrations.azureAccount;
  // The cloud's availability and gateway rule (lambdas/domain/azure-rules.ts). On self-hosted Palette the US Government
  // rule needs the installation's accounts: the Azure ensure step applies it. Whether a named gateway exists and is
  // running is asked of Palette before anything is created (ReadPaletteIdentity).
  const azureProblem = azure
    ? azureCloudViolation({ cloud: azure.cloud, selfHosted: ctx.selfHosted, hasGateway: gatewayRef(azure) !== undefined, publicCloudAccounts: [] })
    : undefined;
  if (azureProblem) throw new RequestValidationError([azureProblem]);
  // Every backup endpoint the request names gets keys (the workflow's probe, and through Palette the backup agents).
  const endpoints: [string, string | undefined][] = [
    ['register.backupLocation.s3Url', plan.registrations.backupLocation?.s3Url],
    ['backupLocations.minio.s3Url', plan.registrations.minioBackupLocation?.s3Url],
  ];
  for (const [path, url] of endpoints) {
    const endpointProblem = url === undefined ? undefined : backupEndpointProblem(url, ctx.allowInsecureEndpoints);
    if (endpointProblem) throw new RequestValidationError([{ path, message: endpointProblem }]);
  }
  return plan;
}
