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
import { registrationsPlan } from './registrations';
import { OnboardingRequestSchema, type OnboardingRequest } from './request';
import { PlanSchema, type Plan } from './workflow-state';

export interface PlanContext {
  homeAccountId: string;
  /** This deployment's id (managed-by mark). */
  deploymentId: string;
  defaultApiKeySecretArn?: string;
  defaultReadinessSeconds: number;
  executionName: string;
}

const issuePath = (path: readonly PropertyKey[]) =>
  path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');

export function toIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: issuePath(i.path), message: i.message }));
}

/** Validates the request; throws RequestValidationError naming every bad field. */
export function parseRequest(raw: unknown): OnboardingRequest {
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
  const bucket = aws.bucket.name ?? bucketName(tenantId, aws.accountId, aws.region);
  const policyName = backupPolicyName(tenantId);
  const plan: Plan = {
    tenantId,
    executionName: ctx.executionName,
    deploymentId: ctx.deploymentId,
    homeAccountId: ctx.homeAccountId,
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
    paletteApiKeySecretArn: apiKeySecretArn,
    ...(request.palette.projectUid ? { projectUid: request.palette.projectUid } : {}),
    adopt: { bucket: aws.bucket.adopt, backupPolicy: aws.backupPolicy.adopt, principal: aws.principal.adopt },
    readinessTimeoutSeconds: request.options.readinessTimeoutSeconds ?? ctx.defaultReadinessSeconds,
    tags: { [CREATED_BY_TAG]: ctx.executionName, [TENANT_TAG]: tenantId, [MANAGED_BY_TAG]: ctx.deploymentId },
    registrations: registrationsPlan(request),
  };
  return { request, plan: PlanSchema.parse(plan) };
}
