/** The request's JSON Schema (input form: defaults make fields optional), for editors and other tools. */
import { z } from 'zod';
import { OnboardingRequestSchema } from './request';

export const REQUEST_SCHEMA_ID = 'https://github.com/palette-onboarding/palette-onboarding/schema/onboarding-request.schema.json';

export function requestJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(OnboardingRequestSchema, { io: 'input', target: 'draft-2020-12' }),
    $id: REQUEST_SCHEMA_ID,
    title: 'palette-onboarding request',
  };
}

export function requestJsonSchemaText(): string {
  return `${JSON.stringify(requestJsonSchema(), null, 2)}\n`;
}
