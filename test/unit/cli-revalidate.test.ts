/**
 * `palette-onboard revalidate [tenantId]`: parsing, the request checked before anything starts, `--local` delegating
 * to local/bin/revalidate.ts, and the deployed mode (the Re-validation state machine from the environment, followed,
 * the findings per tenant read from the registry the run wrote them to, the exit code saying whether drift was found).
 */
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../cli/args';
import { REVALIDATE_LOCAL_SCRIPT, runCli, type CliDeps } from '../../cli/main';
import { formatRevalidation, revalidationExitCode } from '../../cli/revalidate';
import { style } from '../../cli/format';
import type { RevalidationSummary } from '../../lambdas/domain/drift';

const ROOT = join(import.meta.dirname, '..', '..');
const SM_ARN = 'arn:aws:states:eu-central-1:123456789012:stateMachine:Revalidation1EAA71E3-abc';
const TABLE = 'PaletteOnboardingStack-TenantRegistryTableF31ABD24-XYZ';
const sfn = mockClient(SFNClient);
const ddb = mockClient(DynamoDBDocumentClient);
afterEach(() => {
  sfn.reset();
  ddb.reset();
});

function io(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env, cwd: ROOT },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}
const deps: CliDeps = {
  sfn: () => new SFNClient({ region: 'eu-central-1' }),
  dynamodb: () => new DynamoDBClient({ region: 'eu-central-1' }),
  sleep: async () => undefined,
  localPreflight: async () => undefined,
};

const EXECUTION = 'revalidate-all-20261202090000-abcd1234';
const FINDINGS = [
  { resource: 'iam:111122223333:role/palette-onboarding-acme', check: 'trustPolicy', reason: "IAM role 'palette-onboarding-acme': the trust policy is not what onboarding wrote" },
  { resource: 'palette:tenant:backup-location/acme-s3', check: 'registered', reason: "Palette S3 backup location 'acme-s3' is not in Palette any more (deleted there)" },
];
const SUMMARY: RevalidationSummary = {
  executionName: EXECUTION,
  remediate: false,
  tenants: [
    { tenantId: 'acme', outcome: 'drifted', findings: 2, status: 'DRIFTED' },
    { tenantId: 'globex', outcome: 'ok', findings: 0, status: 'ACTIVE' },
    { tenantId: 'initech', outcome: 'skipped', findings: 0, reason: 'held by execution initech-1 (lease until 2026-12-02T10:00:00.000Z); checked again by the next run' },
  ],
  notEligible: [],
  deferred: 0,
};
const record = (tenantId: string, findings: unknown[]) => ({
  pk: `tenant#${tenantId}`,
  type: 'tenant',
  tenantId,
  accountId: '111122223333',
  partition: 'aws',
  status: findings.length > 0 ? 'DRIFTED' : 'ACTIVE',
  version: 7,
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-02T09:00:05.000Z',
  resources: {},
  intents: {},
  drift: { checkedAt: '2026-12-02T09:00:03.000Z', executionName: EXECUTION, findings },
});

describe('revalidate: parsing', () => {
  it('every tenant, or one; --remediate; the deployed options', () => {
    // Act / Assess
    expect(parseArgs(['revalidate'])).toEqual({ command: 'revalidate', remediate: false, local: false, follow: true, pollSeconds: 2, json: false });
    expect(parseArgs(['revalidate', 'acme', '--remediate', '--json', '--table', TABLE, '--region', 'eu-central-1'])).toEqual({
      command: 'revalidate',
      tenantId: 'acme',
      remediate: true,
      local: false,
      follow: true,
      pollSeconds: 2,
      table: TABLE,
      json: true,
      region: 'eu-central-1',
    });
    expect(parseArgs(['revalidate', '--local'])).toMatchObject({ local: true });
  });

  it.each([
    [['revalidate', 'a', 'b'], /revalidate takes at most one tenant id/],
    [['revalidate', '--local', '--table', TABLE], /--table does not apply/],
    [['revalidate', '--local', '--state-machine-arn', SM_ARN], /--local runs on the sandbox/],
    [['revalidate', '--force'], /unknown option '--force' for revalidate/],
  ])('rejects %j', (argv, message) => {
    // Act / Assess
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });

  it('an invalid tenant id is refused with exit code 2 before anything starts', async () => {
    // Prepare
    const t = io({ PALETTE_REVALIDATION_STATE_MACHINE_ARN: SM_ARN });
    const run: CliDeps['run'] = async () => {
      throw new Error('must not spawn');
    };

    // Act / Assess
    expect(await runCli(['revalidate', 'Not_A_Tenant'], t.io, { ...deps, run })).toBe(2);
    expect(t.err()).toContain('Invalid re-validation request: tenantId: must be 3-32 characters');
    expect(await runCli(['revalidate', 'Not_A_Tenant', '--local'], t.io, { ...deps, run })).toBe(2);
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('revalidate --local', () => {
  it('runs local/bin/revalidate.ts with the tenant and the flags, never Step Functions', async () => {
    // Prepare
    const calls: string[][] = [];
    const run: CliDeps['run'] = async (_command, args) => {
      calls.push(args.slice(1));
      return 1;
    };

    // Act / Assess
    expect(await runCli(['revalidate', '--local'], io().io, { ...deps, run })).toBe(1);
    expect(await runCli(['revalidate', 'acme', '--local', '--remediate', '--json'], io().io, { ...deps, run })).toBe(1);
    expect(calls).toEqual([[REVALIDATE_LOCAL_SCRIPT], [REVALIDATE_LOCAL_SCRIPT, 'acme', '--remediate', '--json']]);
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('revalidate (deployed)', () => {
  const started = () => {
    sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: `${SM_ARN.replace(':stateMachine:', ':execution:')}:${input.name}`, startDate: new Date() }));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', stateMachineArn: SM_ARN, startDate: new Date(), output: JSON.stringify(SUMMARY) });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
  };

  it('starts the Re-validation state machine, follows it, prints each tenant with its findings from the registry, and exits 1 on drift', async () => {
    // Prepare
    started();
    ddb.on(GetCommand, { Key: { pk: 'tenant#acme' } }).resolves({ Item: record('acme', FINDINGS) });
    ddb.on(GetCommand, { Key: { pk: 'tenant#globex' } }).resolves({ Item: record('globex', []) });
    const t = io({ PALETTE_REVALIDATION_STATE_MACHINE_ARN: SM_ARN, PALETTE_ONBOARDING_REGISTRY_TABLE: TABLE });

    // Act
    const code = await runCli(['revalidate'], t.io, deps);

    // Assess
    expect(code).toBe(1);
    const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(input?.stateMachineArn).toBe(SM_ARN);
    expect(JSON.parse(input?.input ?? '')).toEqual({});
    expect(input?.name).toMatch(/^revalidate-all-\d{14}-[0-9a-f]{8}$/);
    expect(t.out()).toContain('Re-validation succeeded');
    expect(t.out()).toContain(`${EXECUTION}: 3 tenants (1 ok, 1 drifted, 1 skipped, 0 failed)`);
    expect(t.out()).toMatch(/acme\s+DRIFTED\s+2 findings\n\s+trustPolicy\s+iam:111122223333:role\/palette-onboarding-acme\n\s+IAM role 'palette-onboarding-acme': the trust policy/);
    expect(t.out()).toMatch(/globex\s+ACTIVE\s+no drift/);
    expect(t.out()).toMatch(/initech\s+skipped\s+held by execution initech-1/);
  });

  it('--json prints the summary and the findings; a named tenant without drift exits 0', async () => {
    // Prepare
    started();
    sfn.on(DescribeExecutionCommand).resolves({
      status: 'SUCCEEDED',
      stateMachineArn: SM_ARN,
      startDate: new Date(),
      output: JSON.stringify({ ...SUMMARY, tenants: [SUMMARY.tenants[1]] }),
    });
    ddb.on(GetCommand).resolves({ Item: record('globex', []) });
    const t = io({ PALETTE_REVALIDATION_STATE_MACHINE_ARN: SM_ARN, PALETTE_ONBOARDING_REGISTRY_TABLE: TABLE });

    // Act
    const code = await runCli(['revalidate', 'globex', '--remediate', '--json'], t.io, deps);

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input?.input ?? '')).toEqual({ tenantId: 'globex', remediate: true });
    expect(JSON.parse(t.out())).toMatchObject({ status: 'SUCCEEDED', output: { tenants: [{ tenantId: 'globex', outcome: 'ok' }] }, findings: { globex: [] } });
  });

  it('without a readable registry the outcomes are printed, the findings with the reason they are not', async () => {
    // Prepare
    started();
    const t = io({ PALETTE_REVALIDATION_STATE_MACHINE_ARN: SM_ARN });

    // Act
    const code = await runCli(['revalidate'], t.io, { ...deps, cloudFormation: undefined });

    // Assess
    expect(code).toBe(1);
    expect(t.out()).toMatch(/acme\s+DRIFTED\s+2 findings\n\s+findings not shown: no tenant registry table/);
  });
});

describe('formatting and exit codes', () => {
  it('names failed tenants, remediations and what was not re-validated', () => {
    // Prepare
    const summary: RevalidationSummary = {
      executionName: 'revalidate-acme-1',
      remediate: true,
      tenants: [
        { tenantId: 'acme', outcome: 'drifted', findings: 1, status: 'DRIFTED', remediation: 'acme-0123456789ab-drift-20261202090000' },
        { tenantId: 'umbrella', outcome: 'failed', findings: 0, error: 'PaletteAuthError' },
      ],
      notEligible: [{ tenantId: 'initech', reason: 'status FAILED: only ACTIVE and DRIFTED tenants are re-validated' }],
      deferred: 3,
    };

    // Act
    const text = formatRevalidation(summary, { acme: [FINDINGS[0] as (typeof FINDINGS)[number]] }, style({}), [{ executionName: 'acme-0123456789ab-drift-20261202090000', status: 'SUCCEEDED' }]);

    // Assess
    expect(text).toContain('remediation  onboarding acme-0123456789ab-drift-20261202090000 SUCCEEDED');
    expect(text).toMatch(/umbrella\s+failed\s+PaletteAuthError \(the execution history has the cause\)/);
    expect(text).toMatch(/initech\s+not re-validated\s+status FAILED/);
    expect(text).toContain('3 more tenants left for the next run');
    expect(revalidationExitCode({ ...summary, tenants: [{ tenantId: 'acme', outcome: 'ok', findings: 0 }] }, undefined)).toBe(0);
    expect(revalidationExitCode({ ...summary, tenants: [] }, 'initech')).toBe(1);
    expect(revalidationExitCode({ ...summary, tenants: [{ tenantId: 'acme', outcome: 'ok', findings: 0 }] }, undefined, [{ executionName: 'x', status: 'FAILED' }])).toBe(1);
  });
});
