/**
 * X-Ray capture of the SDK clients (lambdas/shared/tracer.ts, lambdas/shared/aws-clients.ts): every client of the
 * factory is captured in a deployed Lambda (POWERTOOLS_TRACE_ENABLED=true, set by the stack, and a Lambda execution
 * environment), and none is anywhere else: not without the flag, not with it "false" (the local runner's value), not
 * outside Lambda (no X-Ray daemon needed). The tracer is loaded by the handler wrapper (runWithDeadline) before the
 * handler runs, and only with the flag; each case imports fresh modules.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AwsPlan } from '../../lambdas/domain/workflow-state';

import { parseConfig } from '../../cdk/lib/config';
import { lambdaEnvironment } from '../../cdk/lib/lambda-environment';

const XRAY_MIDDLEWARE = 'XRaySDKInstrumentation';

/** Fresh client factory and tracer modules under `env`. */
async function freshModules(env: Record<string, string | undefined>) {
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.resetModules();
  const clients = await import('../../lambdas/shared/aws-clients');
  const documents = await import('../../lambdas/shared/document-client');
  const tracer = await import('../../lambdas/shared/tracer');
  const deadline = await import('../../lambdas/shared/deadline');
  // What every wrapped handler does before its body runs: load the tracer (when the flag asks for it).
  await deadline.runWithDeadline(undefined, async () => undefined);
  return { ...clients, ...documents, ...tracer };
}

/** One of each kind of home client the factory makes (the document client sends through a captured DynamoDB client). */
function homeClientsOf(m: Awaited<ReturnType<typeof freshModules>>) {
  return [
    m.homeClient(STSClient),
    m.homeClient(IAMClient),
    m.homeClient(SecretsManagerClient),
    m.homeClient(OrganizationsClient),
    m.homeClient(SSMClient),
    m.homeClient(S3Client, 'eu-west-1'),
    m.homeDocumentClient(),
  ];
}

const captured = (client: { middlewareStack: { identify(): string[] } }): boolean =>
  client.middlewareStack.identify().some((m) => m.startsWith(XRAY_MIDDLEWARE));

const LAMBDA = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', AWS_LAMBDA_FUNCTION_NAME: 'fn', AWS_SAM_LOCAL: undefined };
const LOCAL = { AWS_EXECUTION_ENV: undefined, AWS_LAMBDA_FUNCTION_NAME: undefined, AWS_SAM_LOCAL: undefined };

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('SDK clients of the client factory', () => {
  it('are captured in a deployed Lambda with POWERTOOLS_TRACE_ENABLED=true: home, tenant-account and secrets clients', async () => {
    // Prepare
    const m = await freshModules({
      ...LAMBDA,
      POWERTOOLS_TRACE_ENABLED: 'true',
      PALETTE_ENDPOINT: 'https://api.spectrocloud.com',
      HOME_ACCOUNT_ID: '000000000000',
      TENANT_REGISTRY_TABLE: 'registry',
      TENANT_SECRETS_ROLE_ARN: 'arn:aws:iam::000000000000:role/secrets',
    });
    // Act (no call is made: credentials are assumed on first use)
    const home = homeClientsOf(m);
    const target: AwsPlan['target'] = { accountId: '111111111111', region: 'us-east-1', partition: 'aws', roleName: 'OrganizationAccountAccessRole', assumeRole: true };
    const session = { scope: 'bucket-ensure', tenantId: 'acme', executionName: 'acme-1', sessionName: 'acme-1', policy: '{}', policyHash: 'h' } as const;
    const tenant = [m.tenantClient(IAMClient, target, session), m.tenantClient(STSClient, target, session), m.tenantClient(S3Client, target, session, 'eu-west-1')];
    const secrets = m.tenantSecretsClient({ tenantId: 'acme', executionName: 'acme-1' }, 'access-key-read');
    // Assess
    expect(m.tracingActive()).toBe(true);
    for (const client of [...home, ...tenant, secrets]) {
      expect(captured(client)).toBe(true);
    }
  });

  it.each([
    ['the local runner (POWERTOOLS_TRACE_ENABLED=false, outside Lambda)', { ...LOCAL, POWERTOOLS_TRACE_ENABLED: 'false' }],
    ['outside Lambda even with the flag on (no X-Ray daemon to talk to)', { ...LOCAL, POWERTOOLS_TRACE_ENABLED: 'true' }],
    ['a Lambda whose environment turns it off', { ...LAMBDA, POWERTOOLS_TRACE_ENABLED: 'false' }],
    ['a Lambda without the flag (tracing is opted into, never implied)', { ...LAMBDA, POWERTOOLS_TRACE_ENABLED: undefined }],
    ['SAM local', { ...LAMBDA, AWS_SAM_LOCAL: 'true', POWERTOOLS_TRACE_ENABLED: 'true' }],
  ])('are not captured in %s', async (_name, env) => {
    // Prepare
    const m = await freshModules(env);
    // Act
    const home = homeClientsOf(m);
    // Assess
    expect(m.tracingActive()).toBe(false);
    for (const client of home) {
      expect(captured(client)).toBe(false);
    }
  });

  it('the tracer module (and the X-Ray SDK under it) is not even loaded unless the flag asks for it', async () => {
    // Prepare
    const loaded: string[] = [];
    vi.doMock('@aws-lambda-powertools/tracer', async (original) => {
      loaded.push('tracer');
      return original();
    });
    // Act
    const off = await freshModules({ ...LAMBDA, POWERTOOLS_TRACE_ENABLED: 'false' });
    const loadedWhenOff = [...loaded];
    const on = await freshModules({ ...LAMBDA, POWERTOOLS_TRACE_ENABLED: 'true' });
    vi.doUnmock('@aws-lambda-powertools/tracer');
    // Assess
    expect(loadedWhenOff).toEqual([]);
    expect(off.tracingActive()).toBe(false);
    expect(loaded).toEqual(['tracer']);
    expect(on.tracingActive()).toBe(true);
  });

  it('the stack turns it on with config traceSdkCalls only (default off: no X-Ray SDK on a cold start)', () => {
    const refs = { registryTableName: 't', tenantLeaseSeconds: 3900, tenantSecretsRoleArn: 'arn:aws:iam::111122223333:role/x' };
    expect(lambdaEnvironment(parseConfig({}), refs).POWERTOOLS_TRACE_ENABLED).toBe('false');
    expect(lambdaEnvironment(parseConfig({ traceSdkCalls: 'true' }), refs).POWERTOOLS_TRACE_ENABLED).toBe('true');
  });
});
