import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
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
});
