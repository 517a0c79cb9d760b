/**
 * The Palette side of an onboarding: one PaletteClient per API-key secret (cached for the container),
 * scoped to the request's project when it names one.
 */
import * as z from 'zod';
import type { Plan } from '../../domain/workflow-state';
import { homeDocumentClient } from '../../shared/document-client';
import { loadEnv } from '../../shared/env';
import { ConfigurationError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { recordPaletteCall } from '../../shared/metrics';
import { paletteCaBundle } from '../../shared/palette-ca';
import { readSecretString } from '../../shared/secrets';
import { PaletteClient, type PaletteScope } from '../palette';
import { DynamoDbRateSlotStore } from '../palette/rate-governor-dynamodb';

const clients = new Map<string, PaletteClient>();

/**
 * Budget for one Palette call with its own retries (429, 5xx, resets). It stays well inside the Lambda
 * timeout (60 s), so a persistent failure surfaces as a named error that Step Functions retries with backoff.
 */
export const PALETTE_CALL_BUDGET_MS = 20_000;

const ApiKeySecretSchema = z.object({ apiKey: z.string().min(1) });

/** The secret holds `{"apiKey": "..."}` or the bare key. The value never leaves this function's caller. */
export async function readApiKey(secretArn: string): Promise<string> {
  const text = (await readSecretString(secretArn)).trim();
  if (text.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ConfigurationError(`Palette API-key secret ${secretArn} is not valid JSON`);
    }
    const parsed = ApiKeySecretSchema.safeParse(json);
    if (!parsed.success) throw new ConfigurationError(`Palette API-key secret ${secretArn} has no "apiKey" field`);
    return parsed.data.apiKey;
  }
  if (text === '') throw new ConfigurationError(`Palette API-key secret ${secretArn} is empty`);
  return text;
}

export function paletteClient(apiKeySecretArn: string): PaletteClient {
  let client = clients.get(apiKeySecretArn);
  if (!client) {
    const rateTable = loadEnv().PALETTE_RATE_TABLE;
    client = new PaletteClient({
      baseUrl: loadEnv().PALETTE_ENDPOINT,
      auth: { type: 'apiKey', apiKey: () => readApiKey(apiKeySecretArn) },
      logger,
      // PaletteCalls / PaletteThrottles of the invocation (lambdas/shared/metrics.ts).
      onAttempt: recordPaletteCall,
      retry: { budgetMs: PALETTE_CALL_BUDGET_MS },
      // A private CA trusted in addition to the public roots (PALETTE_CA_BUNDLE), when configured.
      caBundle: paletteCaBundle(),
      // Palette's rate limit kept by every container together (PALETTE_RATE_TABLE), when the stack has the table.
      ...(rateTable ? { sharedRateLimit: { store: new DynamoDbRateSlotStore(homeDocumentClient(), rateTable) } } : {}),
    });
    clients.set(apiKeySecretArn, client);
  }
  return client;
}

/** Test hook: forget the cached clients (their tokens, and the CA bundle they trust). */
export function resetPaletteClients(): void {
  clients.clear();
}

/** Tenant scope, or project scope when the request has a projectUid. */
export function paletteScope(plan: Plan): PaletteScope {
  const client = paletteClient(plan.paletteApiKeySecretArn);
  return plan.projectUid ? client.project(plan.projectUid) : client;
}
