/**
 * The state document stays small whatever the request (issue: a 60 KB request grew to about 240 KB of state, past
 * Step Functions' 256 KB limit, where `States.DataLimitExceeded` cannot be caught: no compensation, no failure
 * event). Through the synthesized state machine on the sandbox:
 *
 * - a request as large as the schema lets a valid one be (every part, long-but-allowed values: a 16 KiB CA bundle,
 *   an 8 KiB public key line, long names and secret ARNs) succeeds, and no state's input or output in its history
 *   reaches STATE_BUDGET_BYTES (well under 256 KB): the input is held once (`raw`) until ValidateRequest has made
 *   the plan, then dropped; the normalized request is never stored;
 * - a request over the 32 KiB limit is rejected by ValidateRequest with the size error at the root, before anything
 *   is created, and the failure event still names its tenant id.
 *
 * Sizes are UTF-8 bytes of the JSON text (what Step Functions counts).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestSizeBytes } from '../../lambdas/domain/plan';
import { CA_CERT_MAX, SSH_PUBLIC_KEY_MAX } from '../../lambdas/domain/registration-requests';
import { MAX_REQUEST_BYTES } from '../../lambdas/domain/request';
import { PaletteClient } from '../../lambdas/services/palette';
import { loadWorkflow, runOnboarding, runStateMachine, type LocalRunResult, type LocalWorkflow } from '../../local/runner';
import { startLocalSandbox, type RunningLocalSandbox } from '../../local/sandbox';

/** Well under Step Functions' 256 KB, and far below what the old layout reached (about 4 copies of the input). */
const STATE_BUDGET_BYTES = 96 * 1024;

let sb: RunningLocalSandbox;
let workflow: LocalWorkflow;
let palette: PaletteClient;

beforeAll(async () => {
  workflow = await loadWorkflow();
  sb = await startLocalSandbox({ aws: { port: 0, realism: { iamPropagationMs: 300 } }, palette: { port: 0 }, env: {} });
  palette = new PaletteClient({ baseUrl: sb.palette.endpoint, auth: { type: 'apiKey', apiKey: sb.palette.apiKey }, rateLimit: false });
}, 300_000);
afterAll(async () => {
  await sb?.stop();
});

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8');

/** The largest state document in a run's history: the input or output of any state (and of the execution). */
function largestState(run: LocalRunResult): { bytes: number; where: string } {
  let max = { bytes: 0, where: '' };
  for (const e of run.history) {
    for (const [side, value] of [['input', e.input], ['output', e.output]] as const) {
      if (value === undefined) continue;
      const n = bytes(value);
      if (n > max.bytes) max = { bytes: n, where: `${e.type} ${e.state ?? ''} (${side})` };
    }
  }
  return max;
}

const statesEntered = (r: LocalRunResult) => r.history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.state);

const TENANT = 'bigtenant';
const ACCOUNT = '515151515151';

/** A credentials secret ARN with a name of the longest allowed length (512); no trailing "-XXXXXX" (a suffix to the sandbox). */
const credentials = (what: string) => {
  const head = `palette-onboarding-credentials/${TENANT}/${what}.`;
  return `arn:aws:secretsmanager:us-east-1:000000000000:secret:${head}${'k'.repeat(512 - head.length - 5)}.json`;
};

/** PEM CERTIFICATE blocks of random base64 (64-character lines) filling `size` characters (a CA bundle). */
function caBundle(size: number): string {
  const block = (chars: number) => {
    const body = randomBytes(Math.ceil(chars / 4) * 3).toString('base64').slice(0, chars).replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
    return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
  };
  let pem = '';
  while (size - pem.length > 2200) pem += block(2000);
  // The last block fills the rest (its base64 lines plus their newlines and the two marker lines).
  const overhead = 28 + 26;
  let chars = size - pem.length - overhead;
  chars -= Math.floor(chars / 65);
  while (pem.length + block(chars).length > size) chars -= 1;
  return pem + block(chars);
}

/** An `ssh-rsa` line of exactly `size` characters: a key blob of the right type, and a printable comment. */
function publicKeyLine(size: number): string {
  const blob = Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('ssh-rsa'), randomBytes(3000)]).toString('base64');
  const head = `ssh-rsa ${blob} `;
  return head + 'c'.repeat(size - head.length);
}

/** Every part of the request, with long-but-allowed values. */
function largestValidRequest(): Record<string, unknown> {
  const name = (suffix: string, max = 63) => `${TENANT}-${suffix}-${'n'.repeat(max - TENANT.length - suffix.length - 2)}`;
  return {
    tenantId: TENANT,
    aws: {
      accountId: ACCOUNT,
      region: 'us-east-1',
      credentialMode: 'sts',
      bucket: {
        kmsKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/${'a'.repeat(256)}`,
        versioning: true,
        lifecycle: { noncurrentVersionExpirationDays: 36_500, abortIncompleteMultipartUploadDays: 36_500 },
      },
    },
    register: { cloudAccount: { enabled: true, name: name('aws', 64) }, backupLocation: { name: name('s3', 64), isDefault: true } },
    options: { readinessTimeoutSeconds: 900 },
    azure: {
      cloudAccount: {
        name: name('azure'),
        credentialsSecretArn: credentials('azure-app'),
        cloud: 'AzurePublicCloud',
        tenantName: `Big Tenant Ünïcødé Corp 🚀 ${'T'.repeat(128 - 30)}`.slice(0, 128),
      },
    },
    sshKey: { name: name('ssh'), publicKey: publicKeyLine(SSH_PUBLIC_KEY_MAX) },
    apiKey: { name: name('automation', 61), description: `CI automation — ${'d'.repeat(256 - 16)}`, expiry: '90d' },
    backupLocations: {
      // 222 characters: dot-separated parts of at most 63
      gcp: { name: name('gcs'), bucket: `${TENANT}-velero.${'g'.repeat(63)}.${'g'.repeat(63)}.${'g'.repeat(63)}.${'g'.repeat(13)}`, projectId: 'bigtenant-prod-0123456', credentialsSecretArn: credentials('gcp-sa-key') },
      minio: {
        name: name('minio'),
        bucket: `${TENANT}-velero-minio`,
        s3Url: 'http://127.0.0.1:4566',
        credentialsSecretArn: credentials('minio-keys'),
        caCert: caBundle(CA_CERT_MAX),
      },
      azure: {
        name: name('blob'),
        container: `velero-${'c'.repeat(55)}`,
        storageAccount: 'bigtenantbackups01234567',
        sku: 'Standard_LRS',
        resourceGroup: `rg-${'g'.repeat(87)}`,
        subscriptionId: '0f8e5c2a-1d3b-4a5c-9e7f-0123456789ab',
        credentialsSecretArn: credentials('azure-blob'),
      },
    },
  };
}

describe('a request as large as a valid one can be', () => {
  let request: Record<string, unknown>;
  let run: LocalRunResult;
  beforeAll(async () => {
    request = largestValidRequest();
    run = await runOnboarding(request, { sandbox: sb, workflow });
  }, 300_000);

  it('is close to the 32 KiB limit', () => {
    const size = requestSizeBytes(request);
    expect(size).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    // Every field at (or near) its own maximum: the per-field limits, not the total, bind a valid request.
    expect(size).toBeGreaterThan(0.88 * MAX_REQUEST_BYTES);
  });

  it('succeeds, every part registered', async () => {
    expect(run.errorMessage).toBeUndefined();
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({
      sshKey: { created: true },
      minioBackupLocation: { created: true },
      azureAccount: { created: true },
      verification: { ok: true },
    });
    const key = await palette.sshKeys.findByName(`${TENANT}-ssh-${'n'.repeat(63 - TENANT.length - 5)}`);
    expect(key?.spec?.publicKey?.length).toBeGreaterThan(4000);
  });

  it(`never holds a state document of ${STATE_BUDGET_BYTES} bytes or more: the input once until the plan exists, then only the plan`, () => {
    const size = requestSizeBytes(request);
    const largest = largestState(run);
    // AcquireTenant's OutputPath drops the input: its TaskStateExited is the first state without it.
    const dropped = run.history.findIndex((e) => e.state === 'AcquireTenant' && e.type === 'TaskStateExited');
    expect(dropped).toBeGreaterThan(0);
    const afterwards = largestState({ ...run, history: run.history.slice(dropped) });
    console.log(
      `state-size: request ${size} bytes; largest state ${largest.bytes} bytes at ${largest.where}; after AcquireTenant ${afterwards.bytes} bytes at ${afterwards.where}`,
    );
    // Afterwards no input: less than at the peak, when the input and the plan were both held.
    expect(afterwards.bytes).toBeLessThan(largest.bytes);
    expect(largest.bytes).toBeLessThan(STATE_BUDGET_BYTES);
    // At most the input plus the plan derived from it (which repeats the large values it needs: the CA bundle, the key).
    expect(largest.bytes).toBeLessThan(2.1 * size);
    const withRawAndPlan = new Set<string>();
    for (const e of run.history) {
      for (const [side, value] of [['input', e.input], ['output', e.output]] as const) {
        const doc = value as Record<string, unknown> | undefined;
        if (!doc || typeof doc !== 'object' || Array.isArray(doc)) continue;
        // The document is under `doc` until AcquireTenant drops the input.
        const job = (doc.job ?? (doc.doc as Record<string, unknown> | undefined)?.job) as Record<string, unknown> | undefined;
        // The normalized request is never stored.
        expect(job?.request, `${e.type} ${e.state}`).toBeUndefined();
        if (job !== undefined && doc.raw !== undefined) withRawAndPlan.add(`${e.state} ${side}`);
      }
    }
    // The raw input and the plan meet only between ValidateRequest and AcquireTenant (which records the request).
    expect([...withRawAndPlan].sort()).toEqual(['AcquireTenant input', 'ValidateRequest output']);
    expect(statesEntered(run).slice(0, 4)).toEqual(['Init', 'ValidateRequest', 'AcquireTenant', 'NotifyStarted']);
  });
});

describe('a request over the limit', () => {
  it('is rejected at the root with its size and the limit, before anything is created; the failure event names its tenant', async () => {
    const request = { tenantId: 'oversized', aws: { accountId: '525252525252', region: 'us-east-1', credentialMode: 'sts' }, apiKey: { description: '' } };
    (request.apiKey as { description: string }).description = 'x'.repeat(33 * 1024 - requestSizeBytes(request));
    const size = requestSizeBytes(request);
    expect(size).toBe(33 * 1024);
    const world = async () => ({
      // (the registry table itself is created by the runner's first run in this sandbox)
      aws: Object.fromEntries(Object.entries(sb.aws.inventory()).map(([a, types]) => [a, { ...types, dynamodbTables: [] }])),
      locations: await palette.backupLocations.list(),
      accounts: await palette.cloudAccounts.aws.list(),
    });
    const before = await world();
    // Not even the member account the runner would add for a valid request.
    const run = await runStateMachine(request, { sandbox: sb, workflow });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RequestValidationError');
    expect(run.errorMessage).toBe(`Invalid onboarding request: (root): the request is ${size} bytes of JSON; at most ${MAX_REQUEST_BYTES} bytes (32 KiB) are allowed`);
    expect(statesEntered(run)).toEqual(['Init', 'ValidateRequest', 'RequestTenantId', 'FailureTenantId', 'NotifyFailure', 'Failed']);
    expect(run.events).toEqual([expect.objectContaining({ detailType: 'Tenant Onboarding Failed', detail: expect.objectContaining({ tenantId: 'oversized', error: 'RequestValidationError' }) })]);
    // The failure path drops the input as soon as the tenant id is taken from it.
    expect(largestState(run).bytes).toBeLessThan(size + 8 * 1024);
    expect(await world()).toEqual(before);
  }, 120_000);
});
