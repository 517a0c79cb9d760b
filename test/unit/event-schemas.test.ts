/**
 * The event detail schemas (lambdas/domain/events.ts) and their JSON Schema files (schema/events/, npm run
 * gen:schema): one per detail-type of cdk/lib/events.ts, committed up to date, and the zod and JSON Schema forms
 * agreeing on what they accept. test/e2e/onboarding-local.test.ts checks the events a real run sends against both.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { EVENT_BUS_OF, ONBOARDING_EVENTS } from '../../cdk/lib/events';
import { EVENT_DETAIL_SCHEMAS, REGISTRATION_RESULT_SCHEMAS, type EventKey } from '../../lambdas/domain/events';
import { eventSchemaFileName, eventSchemaFiles } from '../../lambdas/domain/events-schema';
import type { RegistrationOutcome } from '../../lambdas/services/registrations';
import type { z } from 'zod';

const EVENTS_DIR = new URL('../../schema/events/', import.meta.url);
const committed = (fileName: string): string | undefined => {
  try {
    return readFileSync(new URL(fileName, EVENTS_DIR), 'utf8');
  } catch {
    return undefined;
  }
};

const EXEC = 'acme-0123456789ab';
const REGISTRATIONS = {
  cloudAccount: { uid: 'ca-1', name: 'acme-aws', created: true, updated: false },
  backupLocation: { uid: 'bl-1', name: 'acme-s3', created: false, updated: true, adopted: true },
  azureAccount: { skipped: true },
  sshKey: { uid: 'ssh-1', name: 'acme-ssh', created: true, updated: false, fingerprint: 'SHA256:abc', privateKeySecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding/acme/ssh-private-key-AbCdEf' },
  apiKey: { uid: 'ak-1', name: 'acme-automation', created: true, updated: false, valueSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding/acme/palette-api-key-AbCdEf', expiresAt: '2027-01-01T00:00:00Z' },
  gcpBackupLocation: { skipped: true },
  minioBackupLocation: { skipped: true },
  azureBackupLocation: { skipped: true },
};

/** A valid detail of every event. */
const SAMPLES: Record<EventKey, Record<string, unknown>> = {
  started: { tenantId: 'acme', executionName: EXEC, accountId: '111111111111', region: 'us-east-1', credentialMode: 'sts', registrations: ['cloudAccount', 'backupLocation'] },
  resourcesReady: {
    tenantId: 'acme',
    executionName: EXEC,
    accountId: '111111111111',
    credentialMode: 'static',
    bucketName: 'palette-backup-acme-111111111111-us-east-1',
    bucketArn: 'arn:aws:s3:::palette-backup-acme-111111111111-us-east-1',
    policyArn: 'arn:aws:iam::111111111111:policy/palette-onboarding/palette-onboarding-acme-backup',
    principalArn: 'arn:aws:iam::111111111111:user/palette-onboarding/palette-onboarding-acme',
  },
  ready: { tenantId: 'acme', executionName: EXEC, attempts: 3, firstCheckAt: '2026-12-01T10:00:00.000Z', elapsedSeconds: 6 },
  registered: { tenantId: 'acme', executionName: EXEC, registrations: REGISTRATIONS },
  succeeded: {
    tenantId: 'acme',
    executionName: EXEC,
    accountId: '111111111111',
    region: 'us-east-1',
    partition: 'aws',
    credentialMode: 'sts',
    bucket: { bucketName: 'b', bucketArn: 'arn:aws:s3:::b', region: 'us-east-1', created: true },
    policy: { policyArn: 'arn:aws:iam::111111111111:policy/p', defaultVersionId: 'v1', created: true, versionCreated: false },
    clusterPolicies: {
      mode: 'core+eks',
      policies: [{ name: 'c', policyArn: 'arn:aws:iam::111111111111:policy/c', defaultVersionId: 'v1', created: true, versionCreated: false }],
      removed: [],
    },
    principal: { kind: 'sts', arn: 'arn:aws:iam::111111111111:role/r', roleArn: 'arn:aws:iam::111111111111:role/r', created: true },
    ...REGISTRATIONS,
    verification: { ok: true, uids: { cloudAccount: 'ca-1', backupLocation: 'bl-1', sshKey: 'ssh-1', apiKey: 'ak-1' } },
  },
  failed: {
    tenantId: null,
    executionName: EXEC,
    step: 'EnsureBackupLocation',
    error: 'PaletteConflictError',
    cause: '{"errorType":"PaletteConflictError"}',
    compensation: {
      registrations: { deleted: ['palette:tenant:cloud-account/aws/acme-aws'], retained: [] },
      principalError: { Error: 'CompensationError', Cause: 'could not remove' },
      bucket: { deleted: [], retained: [{ id: 's3:aws:bucket/b', reason: 'not empty' }] },
      tenant: { released: true, status: 'FAILED', claimsReleased: 2 },
    },
  },
  offboardingRequested: { tenantId: 'acme', deleteBucket: true },
  offboarded: { tenantId: 'acme', executionName: 'offboard-acme-20261201100000-abcd1234', accountId: '111111111111', removed: ['iam:111111111111:role/r'], retained: [{ id: 's3:aws:bucket/b', reason: 'the bucket is retained' }] },
  offboardingFailed: { tenantId: 'acme', executionName: 'offboard-acme-20261201100000-abcd1234', step: 'RemovePrincipal', error: 'CompensationError', cause: 'could not remove' },
  driftDetected: { tenantId: 'acme', executionName: 'drift-acme', findings: [{ resource: 'iam:111111111111:role/r', check: 'trust-policy', reason: 'the external ID changed' }] },
};

const KEYS = Object.keys(EVENT_DETAIL_SCHEMAS) as EventKey[];
const ajv = new Ajv2020({ strict: false });
/** The committed JSON Schema of an event, compiled once. */
const validatorOf = (key: EventKey) => {
  const schema = JSON.parse(committed(eventSchemaFileName(ONBOARDING_EVENTS[key])) ?? '{}') as { $id?: string };
  return (schema.$id ? ajv.getSchema(schema.$id) : undefined) ?? ajv.compile(schema);
};

describe('event detail schemas', () => {
  it('one per detail-type of cdk/lib/events.ts (the onboarding request has its own, schema/onboarding-request.schema.json)', () => {
    const detailTypes = Object.keys(ONBOARDING_EVENTS).filter((k) => k !== 'source' && k !== 'requested');
    expect([...KEYS].sort()).toEqual(detailTypes.sort());
    expect(Object.keys(EVENT_BUS_OF).sort()).toEqual([...KEYS.map((k) => ONBOARDING_EVENTS[k]), ONBOARDING_EVENTS.requested].sort());
  });

  it('are committed up to date as JSON Schema, one file each, nothing stale (npm run gen:schema)', () => {
    const files = eventSchemaFiles();
    for (const f of files) expect(committed(f.fileName), `schema/events/${f.fileName}: run npm run gen:schema`).toBe(f.text);
    const present = readdirSync(EVENTS_DIR).filter((n) => n.endsWith('.schema.json'));
    expect(present.sort()).toEqual(files.map((f) => f.fileName).sort());
    expect(files.find((f) => f.key === 'started')).toMatchObject({ fileName: 'tenant-onboarding-started.schema.json', bus: 'notifications' });
    expect(files.find((f) => f.key === 'offboardingRequested')).toMatchObject({ fileName: 'tenant-offboarding-requested.schema.json', bus: 'onboarding' });
  });

  it.each(KEYS)('%s: zod and the committed JSON Schema both accept a valid detail', (key) => {
    const sample = SAMPLES[key];
    expect(EVENT_DETAIL_SCHEMAS[key].safeParse(sample).error).toBeUndefined();
    const validate = validatorOf(key);
    expect(validate(sample), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each(KEYS)('%s: both reject an unknown field (a secret cannot hide in one) and a missing one', (key) => {
    // Prepare
    const sample = SAMPLES[key];
    const extra = { ...sample, secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
    const missing = Object.fromEntries(Object.entries(sample).filter(([k]) => k !== 'tenantId'));
    const validate = validatorOf(key);

    // Act + Assess
    expect(EVENT_DETAIL_SCHEMAS[key].safeParse(extra).success).toBe(false);
    expect(validate(extra)).toBe(false);
    expect(EVENT_DETAIL_SCHEMAS[key].safeParse(missing).success).toBe(false);
    expect(validate(missing)).toBe(false);
  });

  it('nested results are exact too: a value in an unknown field of the summary is refused', () => {
    const summary = SAMPLES.succeeded as { principal: Record<string, unknown> };
    const leaky = { ...summary, principal: { ...summary.principal, secretAccessKey: 'x'.repeat(40) } };
    expect(EVENT_DETAIL_SCHEMAS.succeeded.safeParse(leaky).success).toBe(false);
    expect(validatorOf('succeeded')(leaky)).toBe(false);
  });

  it("describe what the registration steps return (the kinds' own result fields)", () => {
    expectTypeOf<RegistrationOutcome<'sshKey'>>().toExtend<z.input<typeof REGISTRATION_RESULT_SCHEMAS.sshKey>>();
    expectTypeOf<RegistrationOutcome<'apiKey'>>().toExtend<z.input<typeof REGISTRATION_RESULT_SCHEMAS.apiKey>>();
    expectTypeOf<RegistrationOutcome<'cloudAccount'>>().toExtend<z.input<typeof REGISTRATION_RESULT_SCHEMAS.cloudAccount>>();
    expect(REGISTRATION_RESULT_SCHEMAS.sshKey.safeParse(REGISTRATIONS.sshKey).success).toBe(true);
  });
});
