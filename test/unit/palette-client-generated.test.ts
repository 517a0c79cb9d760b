/** The committed generated types must equal a fresh generation from the vendored official spec. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatePaletteTypes, officialSwagger, OUTPUT_PATH, SPEC_PATH } from '../../scripts/gen-palette-types';

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
});
