/** Realism: seeded fault injection absorbed (or not) by SDK retries, latency model, config layering. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { GetPolicyCommand } from '@aws-sdk/client-iam';
import { XMLParser } from 'fast-xml-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { sandboxOptionsFromEnv } from '../../local/aws';
import { DEFAULT_REALISM, mergeRealism, Prng, Realism } from '../../local/aws/core/realism';
import type { RunningSandbox } from '../../local/aws/core/types';
import { expectAwsError, FORM, form, iamClient, rawRequest, start, stsClient } from './core-fixtures';

const GCI = form({ Action: 'GetCallerIdentity', Version: '2011-06-15' });
const parser = new XMLParser();
let sb: RunningSandbox | undefined;

afterEach(async () => {
  await sb?.stop();
  sb = undefined;
});

describe('fault injection', () => {
  it('throttles at the configured rate and the SDK’s own retries absorb it', async () => {
    // Seeded, so the fault sequence is fixed: with seed 3 some calls are throttled twice in a row,
    // none three times, so the SDK's default 3 attempts absorb every fault.
    sb = await start({ realism: { faults: { seed: 3, rules: [{ service: 'sts', rate: 0.3, kind: 'throttle' }] } } });
    const sts = stsClient(sb, undefined, 3);
    for (let i = 0; i < 10; i++) {
      const out = await sts.send(new GetCallerIdentityCommand({}));
      expect(out.Account).toBe(sb.accountId);
    }
    const stats = sb.stats();
    expect(stats.faults.throttle).toBeGreaterThanOrEqual(3);
    expect(stats.operations['sts:GetCallerIdentity']).toBe(10 + stats.faults.throttle);
    sts.destroy();
  });

  it('renders the real throttling error of each service', async () => {
    sb = await start({ realism: { faults: { seed: 1, rules: [{ rate: 1, kind: 'throttle' }] } } });
    const sts = await rawRequest(sb, { service: 'sts', headers: FORM, body: GCI });
    expect(sts.status).toBe(400);
    expect(parser.parse(sts.text).ErrorResponse.Error).toMatchObject({ Type: 'Sender', Code: 'Throttling', Message: 'Rate exceeded' });
    const s3 = await rawRequest(sb, { service: 's3', method: 'GET', path: '/' });
    expect(s3.status).toBe(503);
    expect(parser.parse(s3.text).Error.Code).toBe('SlowDown');
    const sm = await rawRequest(sb, {
      service: 'secretsmanager',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.ListSecrets' },
      body: '{}',
    });
    expect(sm.status).toBe(400);
    expect(JSON.parse(sm.text).__type).toBe('ThrottlingException');
    const states = await rawRequest(sb, {
      service: 'states',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.StartExecution' },
      body: '{}',
    });
    expect(states.status).toBe(400);
    // Step Functions (JSON 1.0): ThrottlingException, not the query services' Throttling.
    expect(JSON.parse(states.text)).toMatchObject({ __type: expect.stringMatching(/(^|#)ThrottlingException$/), message: 'Rate exceeded' });
    await expectAwsError(stsClient(sb).send(new GetCallerIdentityCommand({})), 'Throttling', 400, 'Rate exceeded');
  });

  it('injects 500 and 503 errors, scoped to one operation', async () => {
    sb = await start({ realism: { faults: { seed: 1, rules: [{ service: 'iam', operation: 'GetPolicy', rate: 1, kind: '500' }] } } });
    const iam = iamClient(sb);
    const err = await expectAwsError(iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' })), 'InternalFailure', 500);
    expect(err.$fault).toBe('server');
    expect((await stsClient(sb).send(new GetCallerIdentityCommand({}))).Account).toBe(sb.accountId);
    sb.setRealism({ faults: { seed: 1, rules: [{ service: 'iam', rate: 1, kind: '503' }] } });
    await expectAwsError(iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' })), 'ServiceUnavailable', 503);
    sb.setRealism({ faults: { seed: 1, rules: [] } });
    await iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
    iam.destroy();
  });

  it('resets connections without a response; retries recover', async () => {
    sb = await start({ realism: { faults: { seed: 3, rules: [{ service: 'sts', rate: 1, kind: 'reset' }] } } });
    let caught: unknown;
    try {
      await stsClient(sb).send(new GetCallerIdentityCommand({}));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(Error);
    expect(String(caught)).toMatch(/socket hang up|ECONNRESET|closed/i);
    sb.setRealism({ faults: { seed: 3, rules: [{ service: 'sts', rate: 0.5, kind: 'reset' }] } });
    const sts = stsClient(sb, undefined, 5);
    for (let i = 0; i < 6; i++) await sts.send(new GetCallerIdentityCommand({}));
    expect(sb.stats().faults.reset).toBeGreaterThan(1);
    sts.destroy();
  });

  it('draws the same fault sequence for the same seed', async () => {
    const sequence = async (seed: number): Promise<number[]> => {
      const s = await start({ realism: { faults: { seed, rules: [{ rate: 0.5, kind: '503' }] } } });
      const statuses: number[] = [];
      for (let i = 0; i < 16; i++) statuses.push((await rawRequest(s, { service: 'sts', headers: FORM, body: GCI })).status);
      await s.stop();
      return statuses;
    };
    const a = await sequence(42);
    expect(await sequence(42)).toEqual(a);
    expect(a).toContain(503);
    expect(a).toContain(200);
    expect(await sequence(43)).not.toEqual(a);
  });
});

describe('latency model', () => {
  it('delays matching operations by their configured latency', async () => {
    sb = await start({ realism: { latency: { defaultMs: 0, jitterMs: 0, perOperation: { 'sts:GetCallerIdentity': 150 } } } });
    const sts = stsClient(sb);
    const iam = iamClient(sb);
    await sts.send(new GetCallerIdentityCommand({}));
    await iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
    let t = performance.now();
    await sts.send(new GetCallerIdentityCommand({}));
    expect(performance.now() - t).toBeGreaterThanOrEqual(145);
    t = performance.now();
    await iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
    expect(performance.now() - t).toBeLessThan(100);

    // Specific operation beats "service:*", which beats the default.
    // Wide margins: a loaded machine adds tens of ms to an undelayed call.
    sb.setRealism({ latency: { defaultMs: 200, jitterMs: 40, perOperation: { 'sts:GetCallerIdentity': 0, 'iam:*': 300 } } });
    t = performance.now();
    await iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
    expect(performance.now() - t).toBeGreaterThanOrEqual(298);
    t = performance.now();
    await sts.send(new GetCallerIdentityCommand({}));
    expect(performance.now() - t).toBeLessThan(150);
    t = performance.now();
    await rawRequest(sb, { service: 's3', method: 'GET', path: '/' });
    expect(performance.now() - t).toBeGreaterThanOrEqual(198);
    sts.destroy();
    iam.destroy();
  });

  it('keeps jitter within [0, jitterMs)', () => {
    const r = new Realism(mergeRealism(DEFAULT_REALISM, { latency: { defaultMs: 10, jitterMs: 5, perOperation: { 'iam:GetRole': 100 } } }));
    const samples = Array.from({ length: 200 }, () => r.latencyMs('s3', 'GetObject'));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...samples)).toBeLessThan(15);
    expect(new Set(samples).size).toBeGreaterThan(1);
    expect(r.latencyMs('iam', 'GetRole')).toBeGreaterThanOrEqual(100);
  });
});

describe('configuration layering', () => {
  it('merges patches (objects merge, fault rules replace) and keeps the PRNG reproducible', () => {
    const a = mergeRealism(DEFAULT_REALISM, { latency: { perOperation: { 'iam:*': 5 } }, faults: { rules: [{ rate: 0.1, kind: '500' }] } });
    const b = mergeRealism(a, { latency: { perOperation: { 's3:*': 7 } }, faults: { rules: [] } });
    expect(b.latency.perOperation).toEqual({ 'iam:*': 5, 's3:*': 7 });
    expect(b.faults.rules).toEqual([]);
    expect(b.iamPropagationMs).toBe(DEFAULT_REALISM.iamPropagationMs);
    const x = new Prng(9);
    const y = new Prng(9);
    expect(Array.from({ length: 5 }, () => x.next())).toEqual(Array.from({ length: 5 }, () => y.next()));
  });

  it('layers defaults < config file < env/options', async () => {
    expect(DEFAULT_REALISM.iamPropagationMs).toBe(3000);
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-config-'));
    try {
      const file = join(dir, 'realism.json');
      writeFileSync(file, JSON.stringify({ iamPropagationMs: 1234, latency: { defaultMs: 2 } }));
      const fromFile = sandboxOptionsFromEnv({ SANDBOX_CONFIG: file, SANDBOX_AWS_PORT: '0' });
      sb = await start({ ...fromFile, realism: {} });
      expect(sb.kernel.config).toMatchObject({ iamPropagationMs: 0, latency: { defaultMs: 0 } });
      await sb.stop();
      // Without test overrides, the file applies, and env beats the file.
      const { startSandbox } = await import('../../local/aws');
      sb = await startSandbox(sandboxOptionsFromEnv({ SANDBOX_CONFIG: file, SANDBOX_AWS_PORT: '0' }));
      expect(sb.kernel.config).toMatchObject({ iamPropagationMs: 1234, latency: { defaultMs: 2 } });
      await sb.stop();
      sb = await startSandbox(sandboxOptionsFromEnv({ SANDBOX_CONFIG: file, SANDBOX_AWS_PORT: '0', SANDBOX_IAM_PROPAGATION_MS: '10' }));
      expect(sb.kernel.config).toMatchObject({ iamPropagationMs: 10, latency: { defaultMs: 2 } });
      writeFileSync(file, JSON.stringify({ iamPropagationMs: -1 }));
      await expect(startSandbox(sandboxOptionsFromEnv({ SANDBOX_CONFIG: file, SANDBOX_AWS_PORT: '0' }))).rejects.toThrow(/iamPropagationMs/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads every option from the environment', () => {
    expect(sandboxOptionsFromEnv({})).toEqual({ port: 4566, region: 'us-east-1' });
    expect(
      sandboxOptionsFromEnv({
        SANDBOX_AWS_PORT: '0',
        SANDBOX_REGION: 'eu-west-1',
        SANDBOX_ACCESS_KEY_ID: 'AKIAOTHER',
        SANDBOX_SECRET_ACCESS_KEY: 'secret',
        SANDBOX_ACCOUNTS: '111111111111, 222222222222,',
        SANDBOX_IAM_PROPAGATION_MS: '3000',
        SANDBOX_STATE_FILE: '/tmp/s.json',
        SANDBOX_CONFIG: '/tmp/c.json',
        SANDBOX_SEED: '5',
      }),
    ).toEqual({
      port: 0,
      region: 'eu-west-1',
      accessKeyId: 'AKIAOTHER',
      secretAccessKey: 'secret',
      accounts: ['111111111111', '222222222222'],
      realism: { iamPropagationMs: 3000 },
      stateFile: '/tmp/s.json',
      configFile: '/tmp/c.json',
      seed: 5,
    });
    expect(() => sandboxOptionsFromEnv({ SANDBOX_AWS_PORT: 'abc' })).toThrow(/SANDBOX_AWS_PORT/);
  });
});
