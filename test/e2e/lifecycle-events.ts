/**
 * Checks of the events a local run sent (LocalRunResult.events), shared by the e2e files that run the onboarding:
 * each detail parses with its zod schema (lambdas/domain/events.ts) AND validates against its committed JSON Schema
 * (schema/events/), on the bus cdk/lib/events.ts assigns it; and no secret value the sandbox holds appears in them.
 */
import { readFileSync } from 'node:fs';
import { GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { EVENT_BUS_OF, ONBOARDING_EVENTS, notificationBusName } from '../../cdk/lib/events';
import { EVENT_DETAIL_SCHEMAS, type EventKey } from '../../lambdas/domain/events';
import { eventSchemaFileName } from '../../lambdas/domain/events-schema';
import type { RecordedEvent } from '../../local/runner/events';
import type { RunningLocalSandbox } from '../../local/sandbox';

/** The events of a successful onboarding, in order. */
export const SUCCESS_EVENTS = [
  ONBOARDING_EVENTS.started,
  ONBOARDING_EVENTS.resourcesReady,
  ONBOARDING_EVENTS.ready,
  ONBOARDING_EVENTS.registered,
  ONBOARDING_EVENTS.succeeded,
];

const ajv = new Ajv2020({ strict: false, allErrors: true });
const validators = new Map<string, ValidateFunction>();
/** The committed JSON Schema of a detail-type, compiled once. */
function committedValidator(detailType: string): ValidateFunction {
  let v = validators.get(detailType);
  if (!v) {
    const text = readFileSync(new URL(`../../schema/events/${eventSchemaFileName(detailType)}`, import.meta.url), 'utf8');
    v = ajv.compile(JSON.parse(text) as object);
    validators.set(detailType, v);
  }
  return v;
}

const keyOf = (detailType: string): EventKey | undefined =>
  (Object.keys(EVENT_DETAIL_SCHEMAS) as EventKey[]).find((k) => ONBOARDING_EVENTS[k] === detailType);

/**
 * What is wrong with the events (empty: nothing): an unknown detail-type, a detail its zod schema or its committed
 * JSON Schema rejects, an event on another bus than its own.
 */
export function eventProblems(events: readonly RecordedEvent[], eventBusName = 'palette-onboarding'): string[] {
  const problems: string[] = [];
  for (const [i, e] of events.entries()) {
    const where = `event ${i} (${e.detailType}, from ${e.state})`;
    const key = keyOf(e.detailType);
    if (!key || e.source !== ONBOARDING_EVENTS.source) {
      problems.push(`${where}: not a ${ONBOARDING_EVENTS.source} event of cdk/lib/events.ts`);
      continue;
    }
    const bus = EVENT_BUS_OF[ONBOARDING_EVENTS[key]] === 'notifications' ? notificationBusName(eventBusName) : eventBusName;
    if (e.eventBusName !== bus) problems.push(`${where}: sent on ${e.eventBusName}, not ${bus}`);
    const parsed = EVENT_DETAIL_SCHEMAS[key].safeParse(e.detail);
    if (!parsed.success) problems.push(`${where}: zod: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    const validate = committedValidator(e.detailType);
    if (!validate(e.detail)) problems.push(`${where}: JSON Schema: ${ajv.errorsText(validate.errors)}`);
  }
  return problems;
}

/** Fields of a JSON secret that hold a secret value (not identifiers such as accessKeyId, clientId, publicKey). */
const SECRET_FIELD = /secret|password|^private_?key$|^apiKey$/i;

/**
 * Every secret value the sandbox's home account holds (Secrets Manager: the Palette API key, the static user's secret
 * access key, a generated SSH private key, the tenant's API key, the credentials a request names), plus the sandbox's
 * own admin secret key. A JSON secret contributes its secret fields (SECRET_FIELD), any other secret its whole text.
 */
export async function sandboxSecretValues(sb: RunningLocalSandbox): Promise<string[]> {
  const sm = new SecretsManagerClient({
    region: 'us-east-1',
    endpoint: sb.aws.endpoint,
    credentials: { accessKeyId: sb.aws.accessKeyId, secretAccessKey: sb.aws.secretAccessKey },
  });
  const values = new Set<string>([sb.aws.secretAccessKey, sb.palette.apiKey]);
  try {
    let NextToken: string | undefined;
    do {
      const page = await sm.send(new ListSecretsCommand({ NextToken }));
      for (const s of page.SecretList ?? []) {
        const text = await sm.send(new GetSecretValueCommand({ SecretId: s.ARN })).then((o) => o.SecretString, () => undefined);
        if (!text) continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          values.add(text);
          continue;
        }
        if (typeof parsed === 'object' && parsed !== null) {
          for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string' && SECRET_FIELD.test(k)) values.add(v);
        } else if (typeof parsed === 'string') values.add(parsed);
      }
      NextToken = page.NextToken;
    } while (NextToken);
  } finally {
    sm.destroy();
  }
  // Short strings (flags, names) are not secrets and would match by chance.
  return [...values].filter((v) => v.length >= 16);
}

/** The secret values (sandboxSecretValues) that occur in `value`'s JSON, masked (a failing test prints no secret). */
export function leakedSecrets(value: unknown, secrets: readonly string[]): string[] {
  const json = JSON.stringify(value);
  return secrets.filter((s) => json.includes(s) || json.includes(JSON.stringify(s).slice(1, -1))).map((s) => `${s.slice(0, 3)}... (${s.length} characters)`);
}
