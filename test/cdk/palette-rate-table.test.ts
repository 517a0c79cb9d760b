/**
 * The shared Palette rate table (cdk/lib/constructs/palette-rate-table.ts): one small on-demand table, named to every
 * function by PALETTE_RATE_TABLE, that exactly the functions calling Palette may UpdateItem (nothing else, nobody
 * else); absent with `sharedPaletteRateLimit: false`. (cdk-nag: the whole stack's check in test/cdk/stack.test.ts.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../cdk/lib/config';
import { lambdaEnvironment } from '../../cdk/lib/lambda-environment';
import { grantsOf } from '../../cdk/lib/permissions';
import { callsPalette, FUNCTION_NAMES, HANDLERS, REGISTRATION_FUNCTIONS, registrationFunctionName } from '../../cdk/lib/constructs/onboarding-functions';
import { REGISTRATION_KEYS } from '../../lambdas/domain/registrations';
import { allStatements, asArray, functionsByName, resourcesOfType, statementsOfRole, synthesize, type Synthesized } from './helpers';

let shared: Synthesized;
beforeAll(() => {
  shared = synthesize({ skipBundling: true });
}, 180_000);

const rateTables = (s: Synthesized) => resourcesOfType(s.json, 'AWS::DynamoDB::Table').filter(([id]) => id.startsWith('PaletteRate'));
const envOf = (s: Synthesized, name: string) => {
  const fn = functionsByName(s.json).get(name)?.[1];
  return (fn?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
};
const roleOf = (s: Synthesized, name: string): string => {
  const role = functionsByName(s.json).get(name)?.[1].Properties?.Role as { 'Fn::GetAtt': [string, string] };
  return role['Fn::GetAtt'][0];
};
const callingPalette = new Set([
  ...Object.entries(HANDLERS).filter(([, spec]) => callsPalette(spec)).map(([name]) => name),
  ...REGISTRATION_KEYS.filter((k) => callsPalette(REGISTRATION_FUNCTIONS[k])).map(registrationFunctionName),
]);

describe('the shared Palette rate table', () => {
  it('is one on-demand table keyed by pk, without point-in-time recovery, deleted with the stack', () => {
    // Act
    const tables = rateTables(shared);
    // Assess
    expect(tables).toHaveLength(1);
    const [, table] = tables[0] as (typeof tables)[number];
    expect(table.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    expect(table.Properties?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: false });
    expect((table as { DeletionPolicy?: string }).DeletionPolicy).toBe('Delete');
  });

  it('is named to every workflow function by PALETTE_RATE_TABLE', () => {
    const [tableId] = rateTables(shared)[0] as [string, unknown];
    for (const name of FUNCTION_NAMES) expect(envOf(shared, name).PALETTE_RATE_TABLE, name).toEqual({ Ref: tableId });
  });

  it('may be updated (UpdateItem only) by exactly the functions that call Palette, and touched by no other statement', () => {
    // Prepare
    const [tableId] = rateTables(shared)[0] as [string, unknown];
    const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
    const grants = (name: string) => statementsOfRole(shared.json, roleOf(shared, name)).filter((st) => st.Sid === 'ReservePaletteRateSlots');
    // Act
    const granted = FUNCTION_NAMES.filter((name) => grants(name).length > 0);
    // Assess
    expect(callingPalette.size).toBeGreaterThan(5);
    expect([...granted].sort()).toEqual([...callingPalette].sort());
    for (const name of granted) expect(grants(name), name).toEqual([{ Sid: 'ReservePaletteRateSlots', Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: tableArn }]);
    const touching = allStatements(shared.json).filter((st) => JSON.stringify(asArray(st.Resource)).includes(tableId));
    expect(touching.every((st) => st.Sid === 'ReservePaletteRateSlots')).toBe(true);
  });

  it('is absent with sharedPaletteRateLimit false: PALETTE_RATE_TABLE empty, no grant (the default is true)', () => {
    // Prepare
    const off = parseConfig({ sharedPaletteRateLimit: 'false' });
    const refs = { registryTableArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/registry', tenantSecretsRoleArn: 'arn:aws:iam::123456789012:role/s' };
    // Act / Assess
    expect(parseConfig({}).sharedPaletteRateLimit).toBe(true);
    expect(off.sharedPaletteRateLimit).toBe(false);
    expect(lambdaEnvironment(off, { registryTableName: 'registry', tenantLeaseSeconds: 4500, tenantSecretsRoleArn: 's' }).PALETTE_RATE_TABLE).toBe('');
    expect(grantsOf(['paletteApiKey'], off, refs).map((g) => g.sid)).toEqual(['ReadPaletteApiKey']);
    expect(grantsOf(['paletteApiKey'], off, { ...refs, paletteRateTableArn: 'arn:t' }).map((g) => g.sid)).toEqual(['ReadPaletteApiKey', 'ReservePaletteRateSlots']);
  });
});
