/** The request's JSON Schema (input form: defaults make fields optional), for editors and other tools. */
import * as z from 'zod';
import { NON_AWS_PARTS, OnboardingRequestSchema } from './request';

export const REQUEST_SCHEMA_ID = 'https://github.com/palette-onboarding/palette-onboarding/schema/onboarding-request.schema.json';

/**
 * The combinations of sections a request may have (the zod schema's cross-field rules, which JSON Schema can state):
 * at least one part to onboard (aws, or one of NON_AWS_PARTS), and `register` only with `aws`.
 */
const SECTION_RULES = {
  anyOf: ['aws', ...NON_AWS_PARTS].map((part) => ({ required: [part] })),
  dependentRequired: { register: ['aws'] },
};

export function requestJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(OnboardingRequestSchema, { io: 'input', target: 'draft-2020-12' }),
    ...SECTION_RULES,
    $id: REQUEST_SCHEMA_ID,
    title: 'palette-onboarding request',
  };
}

export function requestJsonSchemaText(): string {
  return `${JSON.stringify(requestJsonSchema(), null, 2)}\n`;
}
