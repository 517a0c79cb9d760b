/**
 * Secrets by function: every workflow function gets exactly the Secrets Manager actions and name patterns it uses
 * (lambdas/shared/secrets.ts, lambdas/services/aws/tenant-secret.ts): writers Create/Put/Describe/Tag, never
 * Delete or Untag; Delete only in the functions that undo; the credentials the user supplies are read-only under
 * their own prefix; the registration functions' grants derive from the registrations table.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, REGISTRATION_FUNCTIONS, registrationFunctionName, registrationSecretAccess } from '../../cdk/lib/constructs/onboarding-functions';
import { REGISTRATION_KEYS, REGISTRATIONS } from '../../lambdas/domain/registrations';
import { asArray, functionsByName, renderResource, statementsOfRole, synthesize, type CfnTemplate, type Synthesized } from './helpers';

let base: Synthesized;
beforeAll(() => {
  base = synthesize({ skipBundling: true });
}, 120_000);

const PREFIX = 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:';

/** "<name pattern> <Action>" for every Secrets Manager permission of a function, sorted. */
function secretGrants(json: CfnTemplate, fn: string): string[] {
  const role = (functionsByName(json).get(fn)?.[1].Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const out = new Set<string>();
  for (const st of statementsOfRole(json, role)) {
    for (const action of asArray(st.Action).filter((a) => a.startsWith('secretsmanager:'))) {
      for (const r of asArray(st.Resource as unknown).map(renderResource)) {
        expect(r.startsWith(PREFIX), r).toBe(true);
        out.add(`${r.slice(PREFIX.length)} ${action.replace('secretsmanager:', '')}`);
      }
    }
  }
  return [...out].sort();
}

const API_KEY = ['palette-onboarding/palette-api-key-?????? DescribeSecret', 'palette-onboarding/palette-api-key-?????? GetSecretValue'];
const read = (name: string) => [`palette-onboarding/*/${name}-?????? DescribeSecret`, `palette-onboarding/*/${name}-?????? GetSecretValue`];
const write = (name: string) => [
  `palette-onboarding/*/${name}-?????? CreateSecret`,
  `palette-onboarding/*/${name}-?????? DescribeSecret`,
  `palette-onboarding/*/${name}-?????? PutSecretValue`,
  `palette-onboarding/*/${name}-?????? TagResource`,
  // looked up by name before it exists
  `palette-onboarding/*/${name} DescribeSecret`,
];
const remove = (name: string) => [
  `palette-onboarding/*/${name}-?????? DeleteSecret`,
  `palette-onboarding/*/${name}-?????? DescribeSecret`,
  `palette-onboarding/*/${name} DescribeSecret`,
];
const CREDENTIALS = ['palette-onboarding-credentials/*/* DescribeSecret', 'palette-onboarding-credentials/*/* GetSecretValue'];
const sorted = (...lists: string[][]) => [...new Set(lists.flat())].sort();

/** The whole table: every workflow function, exactly. */
const EXPECTED: Record<string, string[]> = {
  'validate-request': [],
  'acquire-tenant': [],
  'release-tenant': [],
  'read-palette-identity': sorted(API_KEY),
  'ensure-bucket': [],
  'ensure-backup-policy': [],
  'ensure-sts-role': [],
  'ensure-static-user': sorted(write('aws-access-key')),
  'check-readiness': sorted(API_KEY, read('aws-access-key')),
  'verify-registrations': sorted(API_KEY),
  'undo-registrations': sorted(API_KEY, remove('ssh-private-key'), remove('palette-api-key')),
  'undo-principal': sorted(remove('aws-access-key')),
  'undo-backup-policy': [],
  'undo-bucket': [],
  'ensure-cloud-account': sorted(API_KEY, read('aws-access-key')),
  'ensure-backup-location': sorted(API_KEY, read('aws-access-key')),
  'ensure-azure-account': sorted(API_KEY, CREDENTIALS),
  'ensure-ssh-key': sorted(API_KEY, read('ssh-private-key'), write('ssh-private-key')),
  'ensure-api-key': sorted(API_KEY, read('palette-api-key'), write('palette-api-key')),
  'ensure-gcp-backup-location': sorted(API_KEY, CREDENTIALS),
  'ensure-minio-backup-location': sorted(API_KEY, CREDENTIALS),
  'ensure-azure-backup-location': sorted(API_KEY, CREDENTIALS),
};

describe('secret grants per function', () => {
  it('the table covers every workflow function', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...FUNCTION_NAMES].sort());
  });

  it.each(Object.entries(EXPECTED))('%s', (fn, expected) => {
    expect(secretGrants(base.json, fn)).toEqual(expected);
  });

  it('only the undo functions may delete a secret, and nobody may untag or update one', () => {
    for (const fn of FUNCTION_NAMES) {
      const grants = secretGrants(base.json, fn);
      expect(grants.some((g) => g.endsWith(' DeleteSecret')), fn).toBe(fn === 'undo-principal' || fn === 'undo-registrations');
      expect(grants.filter((g) => / (UntagResource|UpdateSecret|RestoreSecret|PutResourcePolicy)$/.test(g)), fn).toEqual([]);
    }
  });

  it('the user-supplied credentials are read-only to the workflow and read by no other function', () => {
    const readers = REGISTRATION_KEYS.filter((k) => REGISTRATIONS[k].secrets.reads === 'credentials').map(registrationFunctionName);
    expect(readers.sort()).toEqual(['ensure-azure-account', 'ensure-azure-backup-location', 'ensure-gcp-backup-location', 'ensure-minio-backup-location']);
    for (const fn of FUNCTION_NAMES) {
      const onCredentials = secretGrants(base.json, fn).filter((g) => g.startsWith('palette-onboarding-credentials/'));
      expect(onCredentials, fn).toEqual(readers.includes(fn) ? CREDENTIALS : []);
    }
  });
});

describe('registration functions derive their secret grants from the registrations table', () => {
  it('reads, writes (a writer reads its value back), or the credentials prefix', () => {
    expect(registrationSecretAccess({})).toEqual([]);
    expect(registrationSecretAccess({ reads: 'credentials' })).toEqual(['credentialsRead']);
    expect(registrationSecretAccess({ reads: 'aws-access-key' })).toEqual(['secretRead:aws-access-key']);
    expect(registrationSecretAccess({ writes: 'ssh-private-key' })).toEqual(['secretRead:ssh-private-key', 'secretWrite:ssh-private-key']);
  });

  it('every kind\'s function has exactly its table entry\'s grants', () => {
    for (const key of REGISTRATION_KEYS) {
      expect(REGISTRATION_FUNCTIONS[key].access).toEqual(['paletteApiKey', 'registryWrite', ...registrationSecretAccess(REGISTRATIONS[key].secrets)]);
    }
  });
});
