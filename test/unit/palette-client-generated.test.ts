/** The committed generated types must equal a fresh generation from the vendored official spec and its supplement. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mergeSupplement } from '../../local/palette/spec';
import { SUPPLEMENT_OPERATIONS } from '../../lambdas/services/palette/supplement-api';
import { generatePaletteTypes, officialSwagger, OUTPUT_PATH, SPEC_PATH, SUPPLEMENT_PATH } from '../../scripts/gen-palette-types';

describe('generated Palette API types', () => {
  it('match the committed file (run `npm run gen:palette` after changing the spec or the generator)', async () => {
    // Prepare
    const committed = readFileSync(OUTPUT_PATH, 'utf8');
    // Act
    const regenerated = await generatePaletteTypes();
    // Assess
    expect(regenerated === committed, 'lambdas/services/palette/generated/palette-api.ts is stale').toBe(true);
  });

  it('are deterministic', async () => {
    // Prepare
    const spec = readFileSync(SPEC_PATH, 'utf8');
    // Act
    const [a, b] = await Promise.all([generatePaletteTypes(spec), generatePaletteTypes(spec)]);
    // Assess
    expect(a).toBe(b);
  });

  it('change when the spec changes (the drift check can fail)', async () => {
    // Prepare
    const spec = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as { definitions: Record<string, { properties?: Record<string, unknown> }> };
    const target = spec.definitions.v1Uid;
    if (target?.properties === undefined) throw new Error('fixture: v1Uid has no properties');
    target.properties.extraField = { type: 'string' };
    // Act
    const changed = await generatePaletteTypes(JSON.stringify(spec));
    // Assess
    expect(changed).not.toBe(readFileSync(OUTPUT_PATH, 'utf8'));
    expect(changed).toContain('extraField?: string;');
  });

  it('come only from the official paths: inferred operations are left out', async () => {
    // Prepare
    const source: unknown = JSON.parse(readFileSync(SPEC_PATH, 'utf8'));
    const committed = readFileSync(OUTPUT_PATH, 'utf8');
    // Act
    const official = officialSwagger(source);
    // Assess
    expect(Object.keys(official).filter((k) => k.startsWith('x-'))).toEqual([]);
    expect(committed).not.toContain('/v1/auth/syslogin');
    expect(committed).not.toContain('x-inferred');
    const stsBlock = committed.slice(committed.indexOf('"/v1/system/config/aws/sts/account": {'));
    expect(stsBlock.slice(0, stsBlock.indexOf('trace?: never;'))).toContain('post?: never;');
  });

  it('include the supplement (official operations outside the subset), merged without overriding the subset', async () => {
    // Prepare
    const subset = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as { paths: Record<string, unknown>; definitions: Record<string, unknown> };
    const supplement = JSON.parse(readFileSync(SUPPLEMENT_PATH, 'utf8')) as { paths: Record<string, unknown>; definitions: Record<string, unknown> };
    const committed = readFileSync(OUTPUT_PATH, 'utf8');
    // Act
    const merged = mergeSupplement(subset, supplement) as { paths: Record<string, Record<string, { 'x-supplement'?: boolean }>>; definitions: Record<string, unknown> };
    const changed = await generatePaletteTypes(undefined, JSON.stringify({ ...supplement, definitions: { ...supplement.definitions, v1ProjectMeta: { type: 'object', properties: { extraMeta: { type: 'string' } } } } }));
    // Assess
    const supplementOps = Object.entries(merged.paths).flatMap(([path, item]) =>
      Object.entries(item).filter(([, op]) => op['x-supplement'] === true).map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(supplementOps.sort()).toEqual([...SUPPLEMENT_OPERATIONS].sort());
    expect(Object.keys(merged.definitions)).toEqual(expect.arrayContaining([...Object.keys(subset.definitions), ...Object.keys(supplement.definitions)]));
    expect(JSON.stringify(merged)).not.toContain('openapi-subset.json#');
    for (const op of SUPPLEMENT_OPERATIONS) expect(committed).toContain(`"${op.split(' ')[1]}": {`);
    expect(committed).toContain('v1SpectroClustersSummary: {');
    expect(changed).toContain('extraMeta?: string;');
    expect(() => mergeSupplement(subset, { ...supplement, paths: { '/v1/apiKeys': {} } })).toThrow('supplement: path /v1/apiKeys is already in the subset');
    expect(() => mergeSupplement(subset, { ...supplement, definitions: { v1Uid: {} } })).toThrow('supplement: definition v1Uid is already in the subset');
    expect(() => mergeSupplement(subset, { ...supplement, definitions: { x: { $ref: 'other.json#/definitions/y' } } })).toThrow('unsupported reference');
  });
});
