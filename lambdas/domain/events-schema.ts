/**
 * The JSON Schema of each event detail (lambdas/domain/events.ts), for consumers, editors and tests: one file per
 * detail-type, schema/events/<detail-type in kebab case>.schema.json, written by `npm run gen:schema`
 * (scripts/gen-schema.ts); test/unit/event-schemas.test.ts fails when a committed file differs. Not part of any
 * Lambda bundle.
 */
import * as z from 'zod';
import { EVENT_BUS_OF, ONBOARDING_EVENTS } from '../../cdk/lib/events';
import { EVENT_DETAIL_SCHEMAS, INCOMING_EVENT_KEYS, type EventKey } from './events';

const SCHEMA_BASE = 'https://github.com/palette-onboarding/palette-onboarding/schema/events/';

/** `Tenant Onboarding Started` -> `tenant-onboarding-started.schema.json`. */
export const eventSchemaFileName = (detailType: string): string => `${detailType.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.schema.json`;

export interface EventSchemaFile {
  key: EventKey;
  detailType: string;
  bus: 'onboarding' | 'notifications';
  /** Relative to schema/events/. */
  fileName: string;
  schema: Record<string, unknown>;
  text: string;
}

export function eventJsonSchema(key: EventKey): Record<string, unknown> {
  const detailType = ONBOARDING_EVENTS[key];
  const bus = EVENT_BUS_OF[detailType];
  const incoming = INCOMING_EVENT_KEYS.includes(key);
  return {
    ...z.toJSONSchema(EVENT_DETAIL_SCHEMAS[key], { io: incoming ? 'input' : 'output', target: 'draft-2020-12' }),
    $id: `${SCHEMA_BASE}${eventSchemaFileName(detailType)}`,
    title: `${detailType} (detail)`,
    description:
      `The detail of the EventBridge event with source '${ONBOARDING_EVENTS.source}' and detail-type '${detailType}', ` +
      (bus === 'onboarding' ? 'received on the onboarding bus (eventBusName).' : 'sent on the notifications bus (<eventBusName>-notifications).') +
      (incoming ? '' : ' It describes exactly what this version sends; consumers should ignore fields they do not know (later versions may add some).'),
  };
}

/** Every event schema file, in ONBOARDING_EVENTS order. */
export function eventSchemaFiles(): EventSchemaFile[] {
  return (Object.keys(EVENT_DETAIL_SCHEMAS) as EventKey[]).map((key) => {
    const detailType = ONBOARDING_EVENTS[key];
    const schema = eventJsonSchema(key);
    return { key, detailType, bus: EVENT_BUS_OF[detailType], fileName: eventSchemaFileName(detailType), schema, text: `${JSON.stringify(schema, null, 2)}\n` };
  });
}
