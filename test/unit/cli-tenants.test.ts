/**
 * `palette-onboard list` and `status <tenantId>`: argument handling, the table and the tenant view, and the
 * deployed mode against a mocked registry (DynamoDB) and Step Functions: scan with pagination, claims skipped,
 * the --status filter, the table from the stack output, and `status` falling back to an execution name.
 */
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../cli/args';
import { runCli, TENANTS_LOCAL_SCRIPT, type CliDeps } from '../../cli/main';
import { formatAge, formatTenantStatus, formatTenantTable, resourceHealth } from '../../cli/tenants';
import type { TenantRecord } from '../../lambdas/domain/tenant-record';

const ROOT = join(import.meta.dirname, '..', '..');
const SM_ARN = 'arn:aws:states:eu-central-1:123456789012:stateMachine:Onboarding';
const TABLE = 'PaletteOnboardingStack-TenantRegistryTable1234';
const NOW = new Date('2025-06-10T12:00:00Z');

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const cfn = mockClient(CloudFormationClient);
afterEach(() => {
  ddb.reset();
  sfn.reset();
  cfn.reset();
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
  dynamodb: (region) => new DynamoDBClient({ region: region ?? 'eu-central-1' }),
  sfn: () => new SFNClient({ region: 'eu-central-1' }),
  cloudFormation: () => new CloudFormationClient({ region: 'eu-central-1' }),
};

const BUCKET_KEY = 's3:aws:bucket/palette-backup-acme-111111111111-us-east-1';
const ROLE_KEY = 'iam:111111111111:role/palette-onboarding-acme';
const LOCATION_KEY = 'palette:tenant:backup-location/acme-s3';

function tenant(id: string, over: Partial<TenantRecord> = {}): TenantRecord {
  return {
    pk: `tenant#${id}`,
    type: 'tenant',
    tenantId: id,
    accountId: '111111111111',
    partition: 'aws',
    status: 'ACTIVE',
    version: 7,
    createdAt: '2025-06-07T09:30:00.000Z',
    updatedAt: '2025-06-10T11:48:00.000Z',
    lastExecution: {
      name: `${id}-7ffdabd688ed`,
      kind: 'onboarding',
      startedAt: '2025-06-10T11:47:30.000Z',
      finishedAt: '2025-06-10T11:48:00.000Z',
      result: 'SUCCEEDED',
    },
    resources: {},
    intents: {},
    ...over,
  };
}
const resource = (part: string, name: string, id: string, extra: { createdBy?: string; adopted?: boolean } = {}) => ({
  part,
  name,
  id,
  adopted: extra.adopted ?? false,
  ...(extra.createdBy ? { createdBy: extra.createdBy } : {}),
  recordedBy: 'acme-7ffdabd688ed',
  recordedAt: '2025-06-10T11:47:40.000Z',
});
const ACME = tenant('acme', {
  resources: {
    [LOCATION_KEY]: resource('backupLocation', 'acme-s3', '9a3faf221900ac0b56740910', { createdBy: 'acme-7ffdabd688ed' }),
    [ROLE_KEY]: resource('principal', 'palette-onboarding-acme', 'arn:aws:iam::111111111111:role/palette-onboarding-acme', { adopted: true }),
    [BUCKET_KEY]: resource('bucket', 'palette-backup-acme-111111111111-us-east-1', 'arn:aws:s3:::palette-backup-acme-111111111111-us-east-1', {
      createdBy: 'acme-7ffdabd688ed',
    }),
  },
});

describe('parseArgs: list and status', () => {
  it('parses list with its options', () => {
    expect(parseArgs(['list'])).toEqual({ command: 'list', local: false, json: false });
    expect(parseArgs(['list', '--status', 'active,failed', '--json', '--table', TABLE, '--region=eu-west-1'])).toEqual({
      command: 'list',
      local: false,
      json: true,
      statuses: ['ACTIVE', 'FAILED'],
      table: TABLE,
      region: 'eu-west-1',
    });
    expect(parseArgs(['list', '--local', '--status', 'DRIFTED'])).toEqual({ command: 'list', local: true, json: false, statuses: ['DRIFTED'] });
    const arn = 'arn:aws:dynamodb:eu-west-1:123456789012:table/registry';
    expect(parseArgs(['list', '--table', arn])).toMatchObject({ table: arn });
  });

  it('parses status of a tenant or an execution', () => {
    expect(parseArgs(['status', 'acme', '--local', '--json'])).toEqual({ command: 'status', target: 'acme', local: true, json: true });
    expect(parseArgs(['status', 'acme', '--table', TABLE, '--state-machine-arn', SM_ARN])).toEqual({
      command: 'status',
      target: 'acme',
      local: false,
      json: false,
      table: TABLE,
      stateMachineArn: SM_ARN,
    });
  });

  it.each([
    [['list', '--status', 'ACTIVE,bogus'], /--status: 'bogus' is not a tenant status \(one of ONBOARDING, ACTIVE, FAILED, OFFBOARDING, OFFBOARDED, DRIFTED\)/],
    [['list', '--status', ','], /--status needs one or more of/],
    [['list', '--status'], /--status needs a value/],
    [['list', 'acme'], /list takes no arguments/],
    [['list', '--state-machine-arn', SM_ARN], /unknown option '--state-machine-arn' for list/],
    [['list', '--local', '--table', TABLE], /list --local reads the running sandbox's registry: --table does not apply/],
    [['list', '--table', 'has space'], /--table: 'has space' is not a DynamoDB table name/],
    [['status', 'acme', '--local', '--region', 'eu-west-1', '--table', TABLE], /status --local reads the running sandbox's registry: --table, --region do not apply/],
    [['status', 'arn:aws:states:eu-central-1:123456789012:execution:Onboarding:acme-1', '--local'], /give a tenant id, not an execution ARN/],
    [['status', 'acme', '--status', 'ACTIVE'], /unknown option '--status' for status/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });
});

describe('formatting', () => {
  it('formatAge keeps the two largest units', () => {
    expect([0, 45_000, 12 * 60_000, 3 * 3600_000 + 5 * 60_000, 2 * 3600_000, 4 * 86400_000 + 2 * 3600_000, 3 * 86400_000].map(formatAge)).toEqual([
      '0s',
      '45s',
      '12m',
      '3h 5m',
      '2h',
      '4d 2h',
      '3d',
    ]);
  });

  it('list: a row per tenant with status, account, last execution, age and last change', () => {
    const running = tenant('globex', {
      status: 'ONBOARDING',
      accountId: '222222222222',
      createdAt: '2025-06-10T11:59:15.000Z',
      updatedAt: '2025-06-10T11:59:50.000Z',
      lastExecution: { name: 'globex-1e5a65a9fcfb', startedAt: '2025-06-10T11:59:15.000Z' },
    });
    const never = tenant('initech', { lastExecution: undefined, status: 'FAILED' });
    const { accountId: _a, partition: _p, ...azureOnly } = tenant('sky', { lastExecution: undefined });
    expect(formatTenantTable([ACME, running, never, azureOnly], NOW)).toBe(
      [
        'TENANT   STATUS      ACCOUNT       LAST EXECUTION       KIND        RESULT     AGE    LAST CHANGE',
        'acme     ACTIVE      111111111111  acme-7ffdabd688ed    onboarding  SUCCEEDED  3d 2h  12m ago',
        'globex   ONBOARDING  222222222222  globex-1e5a65a9fcfb  onboarding  running    45s    10s ago',
        'initech  FAILED      111111111111  -                    -           -          3d 2h  12m ago',
        'sky      ACTIVE      -             -                    -           -          3d 2h  12m ago',
        '',
      ].join('\n'),
    );
    expect(formatTenantStatus(azureOnly, NOW)).toContain('  bound to         no AWS account, Palette tenant scope\n');
  });

  it('resource health: not checked without a re-validation, ok without a finding, the finding naming it (by key or id)', () => {
    const drift = {
      checkedAt: '2025-06-10T11:50:00.000Z',
      executionName: 'revalidate-acme-1',
      findings: [
        { resource: BUCKET_KEY, check: 'encryption', reason: 'default encryption removed' },
        { resource: '9a3faf221900ac0b56740910', check: 'exists', reason: 'not found in Palette' },
      ],
    };
    expect(resourceHealth(BUCKET_KEY, 'arn:aws:s3:::b', undefined)).toEqual({ ok: undefined, text: 'not checked' });
    expect(resourceHealth(ROLE_KEY, 'arn:aws:iam::111111111111:role/r', drift)).toEqual({ ok: true, text: 'ok' });
    expect(resourceHealth(BUCKET_KEY, 'arn:aws:s3:::b', drift)).toEqual({ ok: false, text: 'encryption: default encryption removed' });
    expect(resourceHealth(LOCATION_KEY, '9a3faf221900ac0b56740910', drift)).toEqual({ ok: false, text: 'exists: not found in Palette' });
  });

  it('status: binding, lease, last execution with its shortened cause, resources with ownership and health, intents, offboarding, drift', () => {
    const record = tenant('acme', {
      ...ACME,
      status: 'DRIFTED',
      projectUid: '5f0c2d9e8b7a6f5e4d3c2b1a',
      lease: { executionName: 'acme-9e0c1b2a3d4f', acquiredAt: '2025-06-10T11:59:00.000Z', expiresAt: Date.parse('2025-06-10T13:14:00Z') / 1000 },
      lastExecution: {
        name: 'acme-7ffdabd688ed',
        kind: 'offboarding',
        startedAt: '2025-06-10T11:47:30.000Z',
        finishedAt: '2025-06-10T11:48:00.000Z',
        result: 'FAILED',
        error: 'PaletteNotFoundError',
        cause: JSON.stringify({ errorType: 'PaletteNotFoundError', errorMessage: `project not found ${'x'.repeat(400)}` }),
      },
      intents: { 'iam:111111111111:policy/palette-onboarding-acme-backup': { executionName: 'acme-9e0c1b2a3d4f', at: '2025-06-10T11:59:10.000Z' } },
      offboarding: {
        executionName: 'offboard-acme-1',
        finishedAt: '2025-06-10T11:48:00.000Z',
        removed: ['d0af6e3bc7b0e3d8bf2713ee'],
        retained: [{ id: 'arn:aws:s3:::palette-backup-acme-111111111111-us-east-1', reason: 'the bucket holds 3 objects (backups)' }],
      },
      drift: {
        checkedAt: '2025-06-10T11:50:00.000Z',
        executionName: 'revalidate-acme-1',
        findings: [{ resource: BUCKET_KEY, check: 'encryption', reason: 'default encryption removed' }],
      },
    });
    const text = formatTenantStatus(record, NOW);
    expect(text).toContain('Tenant acme: DRIFTED\n');
    expect(text).toContain('  bound to         AWS account 111111111111 (aws), Palette project 5f0c2d9e8b7a6f5e4d3c2b1a\n');
    expect(text).toContain('  lease            held by acme-9e0c1b2a3d4f since 2025-06-10T11:59:00.000Z (expires in 1h 14m, 2025-06-10T13:14:00.000Z)\n');
    expect(text).toContain('  last execution   acme-7ffdabd688ed (offboarding) FAILED\n');
    expect(text).toContain('started 2025-06-10T11:47:30.000Z, finished 2025-06-10T11:48:00.000Z (30.0 s)\n');
    const causeLine = text.split('\n').find((l) => l.includes('PaletteNotFoundError: project not found'));
    expect(causeLine?.trim().length).toBeLessThan(300);
    expect(causeLine).toMatch(/x…$/);
    // Resources: workflow order (bucket, principal), then registrations; the id below the name.
    expect(text).toContain(
      [
        '  Resources (3)',
        '    PART            NAME / ID                                   OWNERSHIP                     HEALTH',
        '    bucket          palette-backup-acme-111111111111-us-east-1  created by acme-7ffdabd688ed  encryption: default encryption removed',
        '                    arn:aws:s3:::palette-backup-acme-111111111111-us-east-1',
        '    principal       palette-onboarding-acme                     adopted                       ok',
        '                    arn:aws:iam::111111111111:role/palette-onboarding-acme',
        '    backupLocation  acme-s3                                     created by acme-7ffdabd688ed  ok',
        '                    9a3faf221900ac0b56740910',
      ].join('\n'),
    );
    expect(text).toContain('    iam:111111111111:policy/palette-onboarding-acme-backup  by acme-9e0c1b2a3d4f at 2025-06-10T11:59:10.000Z\n');
    expect(text).toContain('  Offboarding offboard-acme-1, finished 2025-06-10T11:48:00.000Z (12m ago): removed 1, retained 1\n');
    expect(text).toContain('    removed   d0af6e3bc7b0e3d8bf2713ee\n');
    expect(text).toContain('    retained  arn:aws:s3:::palette-backup-acme-111111111111-us-east-1: the bucket holds 3 objects (backups)\n');
    expect(text).toContain('  Re-validation revalidate-acme-1, checked 2025-06-10T11:50:00.000Z (10m ago): 1 finding\n');
    expect(text).toContain(`    ${BUCKET_KEY}  encryption: default encryption removed\n`);
  });

  it('status: findings older than the latest onboarding (e.g. its remediation) are said to be so', () => {
    // Prepare
    const drift = { checkedAt: '2025-06-10T11:50:00.000Z', executionName: 'revalidate-all-1', findings: [{ resource: BUCKET_KEY, check: 'versioning', reason: 'versioning is suspended' }] };
    const remediated = tenant('acme', {
      ...ACME,
      lastExecution: { name: 'acme-0123456789ab-drift-20250610115000', kind: 'onboarding', startedAt: '2025-06-10T11:50:01.000Z', finishedAt: '2025-06-10T11:51:00.000Z', result: 'SUCCEEDED' },
      drift,
    });

    // Act
    const text = formatTenantStatus(remediated, NOW);
    const before = formatTenantStatus(tenant('acme', { ...ACME, drift }), NOW);

    // Assess
    expect(text).toContain('    before the latest onboarding acme-0123456789ab-drift-20250610115000 (SUCCEEDED), which may have repaired them: re-validate to check\n');
    expect(before).not.toContain('before the latest onboarding');
  });

  it('status: an expired lease, no resources, never re-validated', () => {
    const text = formatTenantStatus(
      tenant('initech', { lease: { executionName: 'initech-1', acquiredAt: '2025-06-10T09:00:00.000Z', expiresAt: Date.parse('2025-06-10T11:00:00Z') / 1000 } }),
      NOW,
    );
    expect(text).toContain('expired 1h ago, 2025-06-10T11:00:00.000Z: a crashed or stopped execution; the next one takes it');
    expect(text).toContain('  Resources (0)\n    none: the tenant owns nothing\n');
    expect(text).toContain('  Re-validation never run (resource health not checked)\n');
    expect(text).not.toContain('Pending intents');
    expect(text).not.toContain('Offboarding');
  });
});

describe('list and status (deployed)', () => {
  const claim = { pk: `claim#${BUCKET_KEY}`, type: 'claim', key: BUCKET_KEY, tenantId: 'acme', claimedBy: 'acme-1', claimedAt: '2025-06-10T11:47:31.000Z' };

  it('scans every page, skips claims, sorts by tenant id, filters by status and prints JSON', async () => {
    ddb
      .on(ScanCommand)
      .resolvesOnce({ Items: [tenant('zeta'), claim], LastEvaluatedKey: { pk: 'tenant#zeta' } })
      .resolvesOnce({ Items: [tenant('globex', { status: 'FAILED' }), ACME] });
    const t = io({ PALETTE_ONBOARDING_REGISTRY_TABLE: TABLE });
    expect(await runCli(['list'], t.io, deps)).toBe(0);
    expect(t.out().split('\n').slice(1, 4).map((l) => l.split(' ')[0])).toEqual(['acme', 'globex', 'zeta']);
    const scans = ddb.commandCalls(ScanCommand).map((c) => c.args[0].input);
    expect(scans).toHaveLength(2);
    expect(scans[0]).toMatchObject({ TableName: TABLE, FilterExpression: '#type = :tenant' });
    expect(scans[1]?.ExclusiveStartKey).toEqual({ pk: 'tenant#zeta' });

    ddb.reset();
    ddb.on(ScanCommand).resolves({ Items: [tenant('zeta'), tenant('globex', { status: 'FAILED' }), ACME] });
    const u = io({ PALETTE_ONBOARDING_REGISTRY_TABLE: TABLE });
    expect(await runCli(['list', '--status', 'failed,drifted', '--json'], u.io, deps)).toBe(0);
    const listed = JSON.parse(u.out()) as TenantRecord[];
    expect(listed.map((r) => [r.tenantId, r.status])).toEqual([['globex', 'FAILED']]);

    const v = io({ PALETTE_ONBOARDING_REGISTRY_TABLE: TABLE });
    expect(await runCli(['list', '--status', 'OFFBOARDED'], v.io, deps)).toBe(0);
    expect(v.out()).toBe(`No tenants with status OFFBOARDED in the tenant registry (${TABLE}; 3 with another status).\n`);
  });

  it('warns about an item that is not a valid tenant record', async () => {
    ddb.on(ScanCommand).resolves({ Items: [ACME, { pk: 'tenant#broken', type: 'tenant', tenantId: 'broken' }] });
    const t = io({ PALETTE_ONBOARDING_REGISTRY_TABLE: TABLE });
    expect(await runCli(['list'], t.io, deps)).toBe(0);
    expect(t.out()).toContain('acme');
    expect(t.err()).toMatch(/skipped registry item tenant#broken: not a valid tenant record \(status: /);
  });

  it('finds the table in the stack output (region of the stack), else says how to name it; a missing table exits 3', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'PaletteOnboardingStack' }).resolves({
      Stacks: [{ StackName: 'PaletteOnboardingStack', CreationTime: NOW, StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'TenantRegistryTableName', OutputValue: TABLE }] }],
    });
    ddb.on(ScanCommand).resolves({ Items: [] });
    const regions: (string | undefined)[] = [];
    const t = io({ AWS_REGION: 'eu-west-1' });
    expect(await runCli(['list'], t.io, { ...deps, dynamodb: (r) => (regions.push(r), new DynamoDBClient({ region: 'eu-west-1' })) })).toBe(0);
    expect(ddb.commandCalls(ScanCommand)[0]?.args[0].input.TableName).toBe(TABLE);
    expect(regions).toEqual(['eu-west-1']);
    expect(t.out()).toBe(`No tenants in the tenant registry (${TABLE}).\n`);

    // The region of a table ARN.
    const arn = 'arn:aws:dynamodb:ap-south-1:123456789012:table/registry';
    regions.length = 0;
    expect(await runCli(['list', '--table', arn], io({ AWS_REGION: 'eu-west-1' }).io, { ...deps, dynamodb: (r) => (regions.push(r), new DynamoDBClient({ region: 'x' })) })).toBe(0);
    expect(regions).toEqual(['ap-south-1']);

    cfn.reset();
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'PaletteOnboardingStack', CreationTime: NOW, StackStatus: 'CREATE_COMPLETE', Outputs: [] }] });
    const u = io();
    expect(await runCli(['list'], u.io, deps)).toBe(3);
    expect(u.err()).toContain('no tenant registry table: pass --table or set PALETTE_ONBOARDING_REGISTRY_TABLE (stack PaletteOnboardingStack has no TenantRegistryTableName output)');

    ddb.reset();
    ddb.on(ScanCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    const w = io();
    expect(await runCli(['list', '--table', 'gone'], w.io, deps)).toBe(3);
    expect(w.err()).toBe("palette-onboard: the tenant registry table 'gone' does not exist (Requested resource not found)\n");
  });

  it('status <tenantId> shows the tenant (exit 0), --json the record; no Step Functions call', async () => {
    ddb.on(GetCommand, { TableName: TABLE, Key: { pk: 'tenant#acme' } }).resolves({ Item: { ...ACME, futureField: 1 } });
    const t = io({ PALETTE_ONBOARDING_REGISTRY_TABLE: TABLE, PALETTE_ONBOARDING_STATE_MACHINE_ARN: SM_ARN });
    expect(await runCli(['status', 'acme'], t.io, deps)).toBe(0);
    expect(t.out()).toContain('Tenant acme: ACTIVE');
    expect(t.out()).toContain('Resources (3)');
    const u = io({ PALETTE_ONBOARDING_REGISTRY_TABLE: TABLE });
    expect(await runCli(['status', 'acme', '--json'], u.io, deps)).toBe(0);
    expect(JSON.parse(u.out())).toEqual({ ...ACME, futureField: 1 });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('status <name> that is not a tenant: the execution of that name, as before; neither: exit 1', async () => {
    ddb.on(GetCommand).resolves({});
    sfn.on(DescribeExecutionCommand, { executionArn: `${SM_ARN.replace(':stateMachine:', ':execution:')}:acme-1` }).resolves({
      status: 'RUNNING',
      name: 'acme-1',
      startDate: NOW,
      stateMachineArn: SM_ARN,
      executionArn: 'x',
    });
    sfn.on(DescribeExecutionCommand, { executionArn: `${SM_ARN.replace(':stateMachine:', ':execution:')}:nobody` }).rejects(
      new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }),
    );
    const env = { PALETTE_ONBOARDING_REGISTRY_TABLE: TABLE, PALETTE_ONBOARDING_STATE_MACHINE_ARN: SM_ARN };
    const t = io(env);
    expect(await runCli(['status', 'acme-1'], t.io, deps)).toBe(0);
    expect(t.out()).toContain('acme-1: RUNNING');

    const u = io(env);
    expect(await runCli(['status', 'nobody'], u.io, deps)).toBe(1);
    expect(u.err()).toBe(`palette-onboard: no tenant 'nobody' in the tenant registry (table ${TABLE}), and no execution 'nobody' on ${SM_ARN}\n`);

    // No state machine configured: only the registry answers.
    const v = io({ PALETTE_ONBOARDING_REGISTRY_TABLE: TABLE });
    expect(await runCli(['status', 'nobody'], v.io, deps)).toBe(1);
    expect(v.err()).toBe(`palette-onboard: no tenant 'nobody' in the tenant registry (table ${TABLE})\n`);
  });

  it('status --local and list --local run local/bin/tenants.ts with tsx, never AWS', async () => {
    const calls: string[][] = [];
    const run: CliDeps['run'] = async (_command, args) => {
      calls.push(args.slice(1));
      return 1;
    };
    expect(await runCli(['status', 'acme', '--local', '--json'], io().io, { ...deps, run })).toBe(1);
    expect(await runCli(['list', '--local', '--status', 'active,FAILED'], io().io, { ...deps, run })).toBe(1);
    expect(calls).toEqual([
      [TENANTS_LOCAL_SCRIPT, 'status', 'acme', '--json'],
      [TENANTS_LOCAL_SCRIPT, 'list', '--status', 'ACTIVE,FAILED'],
    ]);
    expect(ddb.calls()).toHaveLength(0);
    expect(cfn.calls()).toHaveLength(0);
  });
});
