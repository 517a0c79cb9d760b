/**
 * `palette-onboard offboard <tenantId>`: parsing, request validation before anything starts, `--local` delegating to
 * local/bin/offboard.ts, and the deployed mode (the Offboarding state machine from the environment or the stack's
 * outputs, followed, its summary printed).
 */
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../cli/args';
import { OFFBOARD_LOCAL_SCRIPT, runCli, type CliDeps } from '../../cli/main';

const ROOT = join(import.meta.dirname, '..', '..');
const OFF_ARN = 'arn:aws:states:eu-central-1:123456789012:stateMachine:Offboarding0B34A350-abc';
const sfn = mockClient(SFNClient);
const cfn = mockClient(CloudFormationClient);
afterEach(() => {
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
const deps: CliDeps = { sfn: () => new SFNClient({ region: 'eu-central-1' }), sleep: async () => undefined, localPreflight: async () => undefined };

describe('offboard: parsing', () => {
  it('parses the tenant and its flags', () => {
    expect(parseArgs(['offboard', 'acme'])).toEqual({
      command: 'offboard',
      tenantId: 'acme',
      local: false,
      follow: true,
      pollSeconds: 2,
      deleteBucket: false,
      purgeBucket: false,
      force: false,
      json: false,
    });
    expect(parseArgs(['offboard', 'acme', '--local', '--delete-bucket', '--purge-bucket', '--force', '--json'])).toMatchObject({
      local: true,
      deleteBucket: true,
      purgeBucket: true,
      force: true,
      json: true,
    });
  });

  it.each([
    [['offboard'], /offboard needs exactly one tenant id/],
    [['offboard', 'a', 'b'], /offboard needs exactly one tenant id/],
    [['offboard', 'acme', '--purge-bucket'], /--purge-bucket needs --delete-bucket/],
    [['offboard', 'acme', '--rerun', 'x'], /unknown option '--rerun' for offboard/],
    [['offboard', 'acme', '--local', '--region', 'eu-west-1'], /--local runs on the sandbox/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });

  it('an invalid tenant id is refused with exit code 2 before anything starts', async () => {
    const t = io({ PALETTE_OFFBOARDING_STATE_MACHINE_ARN: OFF_ARN });
    const run: CliDeps['run'] = async () => {
      throw new Error('must not spawn');
    };
    expect(await runCli(['offboard', 'Not_A_Tenant'], t.io, { ...deps, run })).toBe(2);
    expect(t.err()).toContain('Invalid offboarding request: tenantId: must be 3-32 characters');
    expect(await runCli(['offboard', 'Not_A_Tenant', '--local'], t.io, { ...deps, run })).toBe(2);
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('offboard --local', () => {
  it('runs local/bin/offboard.ts with the tenant and the flags, never Step Functions', async () => {
    const calls: string[][] = [];
    const run: CliDeps['run'] = async (_command, args) => {
      calls.push(args.slice(1));
      return 0;
    };
    expect(await runCli(['offboard', 'acme', '--local'], io().io, { ...deps, run })).toBe(0);
    expect(await runCli(['offboard', 'acme', '--local', '--delete-bucket', '--purge-bucket', '--force', '--json'], io().io, { ...deps, run })).toBe(0);
    expect(calls).toEqual([
      [OFFBOARD_LOCAL_SCRIPT, 'acme'],
      [OFFBOARD_LOCAL_SCRIPT, 'acme', '--delete-bucket', '--purge-bucket', '--force', '--json'],
    ]);
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('offboard (deployed)', () => {
  const SUMMARY = {
    tenantId: 'acme',
    executionName: 'offboard-acme-20261202090000-abcd1234',
    accountId: '111122223333',
    status: 'OFFBOARDED',
    removed: ['palette:cloud-account/aws/uid-1', 'arn:aws:iam::111122223333:role/palette-onboarding/palette-onboarding-acme'],
    retained: [{ id: 'arn:aws:s3:::palette-backup-acme', reason: 'retained with its backups (offboard with deleteBucket to remove it)' }],
  };

  it('starts the Offboarding state machine from the environment with the request, follows it and prints what was removed and retained', async () => {
    sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: `${OFF_ARN.replace(':stateMachine:', ':execution:')}:${input.name}`, startDate: new Date() }));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', stateMachineArn: OFF_ARN, startDate: new Date(), output: JSON.stringify(SUMMARY) });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    const t = io({ PALETTE_OFFBOARDING_STATE_MACHINE_ARN: OFF_ARN });
    expect(await runCli(['offboard', 'acme', '--delete-bucket'], t.io, deps)).toBe(0);
    const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(input?.stateMachineArn).toBe(OFF_ARN);
    expect(JSON.parse(input?.input ?? '{}')).toEqual({ tenantId: 'acme', deleteBucket: true, purgeBucket: false, force: false });
    expect(input?.name).toMatch(/^offboard-acme-\d{14}-[0-9a-f]{8}$/);
    expect(t.out()).toContain('Offboarding succeeded');
    expect(t.out()).toMatch(/removed\s+\n\s+palette:cloud-account\/aws\/uid-1\n\s+arn:aws:iam::111122223333:role/);
    expect(t.out()).toContain('arn:aws:s3:::palette-backup-acme  (retained with its backups');
  });

  it('a refusal exits 1 with the cause; without the state machine configured, exit 3 naming the variable and output', async () => {
    const cause = JSON.stringify({ errorType: 'TenantInUseError', errorMessage: "tenant 'acme' is in use in Palette: cluster 'prod' (c1) uses AWS cloud account 'acme-aws' (uid-1)", trace: [] });
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${OFF_ARN.replace(':stateMachine:', ':execution:')}:n` });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', stateMachineArn: OFF_ARN, startDate: new Date(), error: 'TenantInUseError', cause });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    const t = io();
    expect(await runCli(['offboard', 'acme', '--state-machine-arn', OFF_ARN], t.io, deps)).toBe(1);
    expect(t.out()).toContain("Offboarding did not succeed\n  FAILED: TenantInUseError\n  tenant 'acme' is in use in Palette: cluster 'prod' (c1)");

    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'PaletteOnboardingStack', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [] }] });
    const u = io({ AWS_REGION: 'eu-central-1' });
    expect(await runCli(['offboard', 'acme'], u.io, { ...deps, cloudFormation: () => new CloudFormationClient({ region: 'eu-central-1' }) })).toBe(3);
    expect(u.err()).toContain('PALETTE_OFFBOARDING_STATE_MACHINE_ARN');
    expect(u.err()).toContain('OffboardingStateMachineArn');
  });
});
