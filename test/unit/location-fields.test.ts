/**
 * The location and cloud fields of seeds 002 and 003 in the request (issue 13, items 2 and 7): the S3 location's
 * s3Url / forcePathStyle / caCert (the same checks as MinIO's, one definition), every Azure cloud of the spec for
 * accounts and backup locations with their rules, and the private cloud gateway by name or uid. Pure: the schema,
 * the plan and the rules ValidateRequest applies (planRequest).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AZURE_CLOUDS } from '../../lambdas/domain/azure-rules';
import { parseRequest, planRequest, type RequestRulesContext } from '../../lambdas/domain/plan';
import { requestJsonSchema } from '../../lambdas/domain/request-schema';
import { RequestValidationError } from '../../lambdas/shared/errors';
import { PaletteNotFoundError, type PaletteClient, type PrivateCloudGateway } from '../../lambdas/services/palette';
import { resolvePrivateCloudGateway } from '../../lambdas/services/registrations/gateway';

const ROOT = join(__dirname, '..', '..');
const arn = (name: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-onboarding-credentials/acme/${name}`;
const sts = { tenantId: 'acme', aws: { accountId: '111111111111', region: 'us-east-1', credentialMode: 'sts' } } as const;
const PEM = `-----BEGIN CERTIFICATE-----\n${Buffer.alloc(96, 5).toString('base64')}\n-----END CERTIFICATE-----\n`;

const ctx = (over: Partial<RequestRulesContext> = {}): RequestRulesContext => ({
  homeAccountId: '000000000000',
  deploymentId: 'palette-onboarding',
  defaultApiKeySecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:palette-api-key-AbCdEf',
  defaultReadinessSeconds: 120,
  executionName: 'acme-0123456789ab',
  selfHosted: false,
  allowInsecureEndpoints: false,
  ...over,
});

function issuesOf(run: () => unknown): { path: string; message: string }[] {
  try {
    run();
  } catch (e) {
    if (e instanceof RequestValidationError) return e.issues;
    throw e;
  }
  return [];
}
const parseIssues = (raw: unknown) => issuesOf(() => parseRequest(raw));
const planIssues = (raw: unknown, over: Partial<RequestRulesContext> = {}) => issuesOf(() => planRequest(raw, ctx(over)));

const s3 = (fields: Record<string, unknown>) => ({ ...sts, register: { backupLocation: fields } });
const minio = (fields: Record<string, unknown>) => ({
  ...sts,
  backupLocations: { minio: { bucket: 'velero', s3Url: 'https://minio.acme.example.com', credentialsSecretArn: arn('minio'), ...fields } },
});
const azureAccount = (fields: Record<string, unknown>) => ({ ...sts, azure: { cloudAccount: { credentialsSecretArn: arn('azure'), ...fields } } });
const azureLocation = (cloud: string) => ({
  ...sts,
  backupLocations: {
    azure: { container: 'velero', storageAccount: 'acmebackups', resourceGroup: 'rg', subscriptionId: '0f8e5c2a-1d3b-4a5c-9e7f-0123456789ab', credentialsSecretArn: arn('azure'), cloud },
  },
});

describe('S3 location: s3Url x forcePathStyle x caCert', () => {
  const urls = [undefined, 'https://s3-proxy.acme.example.com'];
  const styles = [undefined, true, false];
  const certs = [undefined, PEM];
  const cases = urls.flatMap((s3Url) => styles.flatMap((forcePathStyle) => certs.map((caCert) => ({ s3Url, forcePathStyle, caCert }))));

  it('every combination: forcePathStyle false with an s3Url is refused; otherwise the plan carries what was given (path style true with a URL)', () => {
    expect(cases).toHaveLength(12);
    for (const c of cases) {
      const fields = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined));
      const where = JSON.stringify(c);
      const issues = planIssues(s3(fields));
      if (c.s3Url && c.forcePathStyle === false) {
        expect(issues, where).toEqual([
          { path: 'register.backupLocation.forcePathStyle', message: 'must be true when s3Url is given (Palette: "If you provided an S3 URL, enable the Force S3 path style checkbox")' },
        ]);
        continue;
      }
      expect(issues, where).toEqual([]);
      const entry = planRequest(s3(fields), ctx()).registrations.backupLocation;
      expect(entry, where).toEqual({
        name: 'acme-s3',
        isDefault: false,
        adopt: false,
        ...(c.s3Url ? { s3Url: c.s3Url } : {}),
        ...(c.forcePathStyle !== undefined ? { forcePathStyle: c.forcePathStyle } : c.s3Url ? { forcePathStyle: true } : {}),
        ...(c.caCert ? { caCert: c.caCert } : {}),
      });
    }
  });

  it('a request without the new fields plans exactly as before', () => {
    expect(planRequest(sts, ctx()).registrations.backupLocation).toEqual({ name: 'acme-s3', isDefault: false, adopt: false });
  });
});

describe('S3 and MinIO share one definition of s3Url and caCert (same messages at their own paths)', () => {
  const badUrls: [string, RegExp][] = [
    ['ftp://minio', /http\(s\) URL/],
    ['https://mínio.example.com', /printable ASCII/],
    [`https://s3.example.com/${'p'.repeat(2048)}`, /at most 2048/],
  ];
  const badCerts: [string, RegExp][] = [
    ['not a certificate', /must be a PEM certificate|PEM CERTIFICATE blocks/],
    ['-----BEGIN CERTIFICATE-----\n@@@\n-----END CERTIFICATE-----\n', /base64 lines/],
    [`-----BEGIN CERTIFICATE-----\n${'A'.repeat(17_000)}\n-----END CERTIFICATE-----\n`, /at most 16384/],
  ];
  it('s3Url', () => {
    for (const [url, message] of badUrls) {
      const onS3 = parseIssues(s3({ s3Url: url })).find((i) => i.path === 'register.backupLocation.s3Url');
      const onMinio = parseIssues(minio({ s3Url: url })).find((i) => i.path === 'backupLocations.minio.s3Url');
      expect(onS3?.message, url).toMatch(message);
      expect(onS3?.message).toBe(onMinio?.message);
    }
  });
  it('caCert', () => {
    for (const [pem, message] of badCerts) {
      const onS3 = parseIssues(s3({ caCert: pem })).find((i) => i.path === 'register.backupLocation.caCert');
      const onMinio = parseIssues(minio({ caCert: pem })).find((i) => i.path === 'backupLocations.minio.caCert');
      expect(onS3?.message, pem.slice(0, 40)).toMatch(message);
      expect(onS3?.message).toBe(onMinio?.message);
    }
  });
  it('the endpoint rule applies to both: https, no loopback (allowed on local deployments), never a metadata address', () => {
    for (const url of ['http://s3.example.com', 'https://127.0.0.1:9000', 'https://169.254.169.254']) {
      expect(planIssues(s3({ s3Url: url })).map((i) => i.path), url).toEqual(['register.backupLocation.s3Url']);
      expect(planIssues(minio({ s3Url: url })).map((i) => i.path), url).toEqual(['backupLocations.minio.s3Url']);
      const local = planIssues(s3({ s3Url: url }), { allowInsecureEndpoints: true }).map((i) => i.path);
      expect(local, url).toEqual(url.includes('169.254') ? ['register.backupLocation.s3Url'] : []);
    }
  });
});

describe('Azure accounts: every cloud of the spec, on SaaS and self-hosted, with and without a gateway', () => {
  const gateways: (Record<string, unknown> | undefined)[] = [undefined, { privateCloudGateway: { name: 'pcg-east' } }, { privateCloudGateway: { uid: 'u-123' } }, { privateCloudGatewayUid: 'u-123' }];
  it('accepted or refused as the cloud rules say, at the field they name', () => {
    const seen: string[] = [];
    for (const cloud of AZURE_CLOUDS) {
      for (const selfHosted of [false, true]) {
        for (const gateway of gateways) {
          const where = `${cloud} ${selfHosted ? 'self-hosted' : 'SaaS'} ${JSON.stringify(gateway)}`;
          const paths = planIssues(azureAccount({ cloud, ...gateway }), { selfHosted }).map((i) => i.path);
          seen.push(`${where}: ${paths.join(',')}`);
          if (cloud === 'AzureUSSecretCloud' && !selfHosted) expect(paths, where).toEqual(['azure.cloudAccount.cloud']);
          else if (!gateway && (cloud === 'AzureUSSecretCloud' || (!selfHosted && cloud.startsWith('AzureUSGovernment')))) {
            expect(paths, where).toEqual(['azure.cloudAccount.privateCloudGateway']);
          } else expect(paths, where).toEqual([]);
        }
      }
    }
    expect(seen).toHaveLength(AZURE_CLOUDS.length * 2 * gateways.length);
  });

  it('the gateway: exactly one of name or uid, a Palette name or uid, not both forms', () => {
    expect(parseIssues(azureAccount({ privateCloudGateway: {} }))).toEqual([{ path: 'azure.cloudAccount.privateCloudGateway', message: 'give exactly one of name or uid' }]);
    expect(parseIssues(azureAccount({ privateCloudGateway: { name: 'a', uid: 'b' } }))).toEqual([
      { path: 'azure.cloudAccount.privateCloudGateway', message: 'give exactly one of name or uid' },
    ]);
    expect(parseIssues(azureAccount({ privateCloudGateway: { name: 'PCG East' } })).map((i) => i.path)).toEqual(['azure.cloudAccount.privateCloudGateway.name']);
    expect(parseIssues(azureAccount({ privateCloudGateway: { uid: 'u/1' } })).map((i) => i.path)).toEqual(['azure.cloudAccount.privateCloudGateway.uid']);
    expect(parseIssues(azureAccount({ privateCloudGateway: { id: 'x' } })).map((i) => i.path)).toContain('azure.cloudAccount.privateCloudGateway');
    expect(parseIssues(azureAccount({ privateCloudGateway: { name: 'pcg' }, privateCloudGatewayUid: 'u' }))).toEqual([
      { path: 'azure.cloudAccount.privateCloudGatewayUid', message: 'give either privateCloudGateway or privateCloudGatewayUid, not both' },
    ]);
  });

  it('the plan keeps the form given (errors name that field)', () => {
    const plan = (g: Record<string, unknown>) => planRequest(azureAccount({ cloud: 'AzureChinaCloud', ...g }), ctx()).registrations.azureAccount;
    expect(plan({ privateCloudGateway: { name: 'pcg-east' } })).toMatchObject({ cloud: 'AzureChinaCloud', privateCloudGateway: { name: 'pcg-east' } });
    expect(plan({ privateCloudGatewayUid: 'u-1' })).toMatchObject({ privateCloudGatewayUid: 'u-1' });
    expect(plan({})).not.toHaveProperty('privateCloudGateway');
  });

  it('tlsCert: only for AzureUSSecretCloud, a PEM', () => {
    for (const cloud of AZURE_CLOUDS) {
      const issues = planIssues(azureAccount({ cloud, tlsCert: PEM, privateCloudGateway: { name: 'pcg' } }), { selfHosted: true });
      if (cloud === 'AzureUSSecretCloud') expect(issues, cloud).toEqual([]);
      else expect(issues, cloud).toEqual([{ path: 'azure.cloudAccount.tlsCert', message: `only for cloud AzureUSSecretCloud (azure.cloudAccount.cloud is ${cloud})` }]);
    }
    expect(parseIssues(azureAccount({ cloud: 'AzureUSSecretCloud', tlsCert: 'x' })).map((i) => i.path)).toEqual(['azure.cloudAccount.tlsCert']);
  });

  it('unknown clouds are refused with the list of valid ones', () => {
    const [issue] = parseIssues(azureAccount({ cloud: 'AzureChina' }));
    expect(issue?.path).toBe('azure.cloudAccount.cloud');
    for (const cloud of AZURE_CLOUDS) expect(issue?.message).toContain(cloud);
  });
});

describe('Azure backup locations: the clouds with a clientCloud', () => {
  it('Public, both US Government spellings and China are accepted; US Government Secret is not', () => {
    for (const cloud of ['AzurePublicCloud', 'AzureUSGovernmentCloud', 'AzureUSGovernment', 'AzureChinaCloud']) expect(parseIssues(azureLocation(cloud)), cloud).toEqual([]);
    expect(parseIssues(azureLocation('AzureUSSecretCloud')).map((i) => i.path)).toEqual(['backupLocations.azure.cloud']);
  });
});

describe('the JSON Schema and the examples', () => {
  it('the exported schema has every field of seed 003 S3 / MinIO forms and seed 002 Azure form', () => {
    const schema = JSON.stringify(requestJsonSchema());
    const props = (o: unknown, ...path: string[]): string[] => {
      let node = o as Record<string, unknown>;
      for (const p of path) node = (node.properties as Record<string, Record<string, unknown>>)[p] as Record<string, unknown>;
      return Object.keys(node.properties as object);
    };
    const root = requestJsonSchema();
    expect(props(root, 'register', 'backupLocation')).toEqual(expect.arrayContaining(['name', 's3Url', 'forcePathStyle', 'caCert', 'isDefault']));
    expect(props(root, 'backupLocations', 'minio')).toEqual(expect.arrayContaining(['name', 'bucket', 'region', 's3Url', 'forcePathStyle', 'caCert', 'credentialsSecretArn']));
    expect(props(root, 'azure', 'cloudAccount')).toEqual(
      expect.arrayContaining(['name', 'credentialsSecretArn', 'cloud', 'tenantName', 'disablePropertiesRequest', 'privateCloudGateway', 'privateCloudGatewayUid', 'tlsCert']),
    );
    for (const cloud of AZURE_CLOUDS) expect(schema).toContain(`"${cloud}"`);
  });

  it('every example request but the invalid one is valid; examples/sovereign-tenant.json uses the new fields', () => {
    const dir = join(ROOT, 'examples');
    // Onboarding requests only (other example files, e.g. platform settings, have no tenantId).
    const requests = readdirSync(dir)
      .filter((f) => f.endsWith('.json') && f !== 'invalid-request.json')
      .map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>] as const)
      .filter(([, body]) => typeof body.tenantId === 'string');
    expect(requests.map(([f]) => f)).toEqual(expect.arrayContaining(['full-tenant.json', 'sovereign-tenant.json', 'static-tenant.json', 'sts-tenant.json']));
    for (const [f, body] of requests) expect(parseIssues(body), f).toEqual([]);
    const plan = planRequest(JSON.parse(readFileSync(join(dir, 'sovereign-tenant.json'), 'utf8')), ctx());
    expect(plan.registrations.backupLocation).toMatchObject({ s3Url: 'https://s3-proxy.globex.example.com', forcePathStyle: true, caCert: expect.stringMatching(/^-----BEGIN CERTIFICATE-----/) });
    expect(plan.registrations.azureAccount).toMatchObject({ cloud: 'AzureChinaCloud', privateCloudGateway: { name: 'globex-pcg' } });
    expect(plan.registrations.azureBackupLocation).toMatchObject({ cloud: 'AzureChinaCloud' });
  });
});

describe('resolving a gateway (a fake Palette): by name x by uid, every outcome', () => {
  const gw = (name: string, uid: string, state?: string): PrivateCloudGateway => ({ metadata: { name, uid }, ...(state ? { status: { state } } : {}) });
  const palette = (gateways: PrivateCloudGateway[]) => {
    const calls: string[] = [];
    const client = {
      privateCloudGateways: {
        findAllByName: async (name: string) => {
          calls.push(`name ${name}`);
          return gateways.filter((g) => g.metadata?.name === name);
        },
        get: async (uid: string) => {
          calls.push(`uid ${uid}`);
          const g = gateways.find((x) => x.metadata?.uid === uid);
          if (!g) throw new PaletteNotFoundError({ status: 404, code: 'ResourceNotFound', message: 'not found', method: 'GET', path: `/v1/overlords/${uid}` });
          return g;
        },
      },
    };
    return { client: client as unknown as PaletteClient, calls };
  };
  const nameRef = (value: string) => ({ by: 'name' as const, value, field: 'azure.cloudAccount.privateCloudGateway.name' });
  const uidRef = (value: string) => ({ by: 'uid' as const, value, field: 'azure.cloudAccount.privateCloudGatewayUid' });
  const outcome = async (p: Promise<unknown>) =>
    p.then(
      (v) => ({ ok: v }),
      (e: unknown) => (e instanceof RequestValidationError ? { issues: e.issues } : { thrown: e }),
    );

  it('Running gateways resolve to uid, name and state, whichever way they are named', async () => {
    const { client, calls } = palette([gw('east', 'u1', 'Running'), gw('west', 'u2', 'Pending')]);
    expect(await resolvePrivateCloudGateway(client, nameRef('east'))).toEqual({ uid: 'u1', name: 'east', state: 'Running' });
    expect(await resolvePrivateCloudGateway(client, uidRef('u1'))).toEqual({ uid: 'u1', name: 'east', state: 'Running' });
    expect(calls).toEqual(['name east', 'uid u1']);
  });

  it('not Running (any other state, or none), missing, or a name two gateways share: an issue at the field given, with the state', async () => {
    const gateways = [gw('east', 'u1', 'Running'), gw('west', 'u2', 'Pending'), gw('north', 'u3'), gw('twin', 'u5', 'Running'), gw('twin', 'u4', 'Running'), gw('gone', 'u6', 'Deleting')];
    const { client } = palette(gateways);
    const cases: [ReturnType<typeof nameRef> | ReturnType<typeof uidRef>, string | undefined][] = [
      [nameRef('east'), undefined],
      [nameRef('west'), "private cloud gateway 'west' (uid u2) is in state Pending, not Running: an account can use only a running gateway"],
      [uidRef('u2'), "private cloud gateway 'west' (uid u2) is in state Pending, not Running: an account can use only a running gateway"],
      [nameRef('north'), "private cloud gateway 'north' (uid u3) is in no reported state, not Running: an account can use only a running gateway"],
      [uidRef('u6'), "private cloud gateway 'gone' (uid u6) is in state Deleting, not Running: an account can use only a running gateway"],
      [nameRef('south'), "no private cloud gateway named 'south' in this Palette tenant"],
      [uidRef('u9'), "no private cloud gateway with uid 'u9' in this Palette tenant"],
      [nameRef('twin'), "2 private cloud gateways are named 'twin' (uids u4, u5): name one by uid instead"],
      [uidRef('u4'), undefined],
    ];
    for (const [ref, message] of cases) {
      const out = await outcome(resolvePrivateCloudGateway(client, ref));
      if (message === undefined) expect(out, ref.value).toHaveProperty('ok');
      else expect(out, ref.value).toEqual({ issues: [{ path: ref.field, message }] });
    }
  });

  it('other Palette errors propagate unchanged (retried by the state machine when they are transient)', async () => {
    const failing = { privateCloudGateways: { get: async () => Promise.reject(new Error('boom')) } } as unknown as PaletteClient;
    expect(await outcome(resolvePrivateCloudGateway(failing, uidRef('u1')))).toEqual({ thrown: new Error('boom') });
  });
});
