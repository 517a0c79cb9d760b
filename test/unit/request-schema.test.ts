import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { OnboardingRequestSchema } from '../../lambdas/domain/request';
import { requestJsonSchema, requestJsonSchemaText } from '../../lambdas/domain/request-schema';

const committed = readFileSync(new URL('../../schema/onboarding-request.schema.json', import.meta.url), 'utf8');

describe('exported JSON Schema of the request', () => {
  it('is committed up to date (npm run gen:schema)', () => {
    expect(committed).toBe(requestJsonSchemaText());
  });

  it('accepts what the zod schema accepts and rejects typos and bad values', () => {
    const validate = new Ajv2020({ strict: false }).compile(requestJsonSchema());
    const ok = { tenantId: 'acme', aws: { accountId: '111111111111', region: 'us-east-1', credentialMode: 'sts' } };
    expect(validate(ok)).toBe(true);
    expect(validate({ ...ok, tenantid: 'x' })).toBe(false);
    expect(validate({ ...ok, aws: { ...ok.aws, credentialMode: 'iam' } })).toBe(false);
    expect(validate({ ...ok, aws: { ...ok.aws, accountId: '12' } })).toBe(false);
  });

  it('states which sections go together: something to onboard, and register only with aws (as the zod schema does)', () => {
    const validate = new Ajv2020({ strict: false }).compile(requestJsonSchema());
    const azure = { cloudAccount: { credentialsSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:palette-onboarding-credentials/acme/azure-AbCdEf' } };
    const cases: [string, Record<string, unknown>][] = [
      ['aws only', { tenantId: 'acme', aws: { accountId: '111111111111', region: 'us-east-1', credentialMode: 'sts' } }],
      ['azure only', { tenantId: 'acme', azure }],
      ['an SSH key only', { tenantId: 'acme', sshKey: { generate: {} } }],
      ['nothing to onboard', { tenantId: 'acme' }],
      ['register without aws', { tenantId: 'acme', azure, register: { cloudAccount: { enabled: false } } }],
    ];
    for (const [name, request] of cases) {
      expect(validate(request), name).toBe(OnboardingRequestSchema.safeParse(request).success);
    }
    expect(cases.map(([, r]) => validate(r))).toEqual([true, true, true, false, false]);
  });
});
