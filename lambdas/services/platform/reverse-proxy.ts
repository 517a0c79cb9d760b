/**
 * Palette's reverse proxy: the settings come from a Secrets Manager secret and are validated (field by field,
 * certificates and key included) before any Palette call; then PUT /v1/system/config/reverseproxy and read back.
 * The key is never logged: only the summary (host, port, protocol, subjects, fingerprints) is.
 */
import type { ReverseProxyResult, PlatformPlan } from '../../domain/platform';
import {
  normalisePem,
  ReverseProxyValidationError,
  validateReverseProxy,
  type ReverseProxyConfig,
  type ReverseProxySummary,
  type ValidatedReverseProxy,
} from '../../domain/reverse-proxy';
import { ConfigurationError, VerificationError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { readSecretString } from '../../shared/secrets';
import type { SystemReverseProxy } from '../palette';
import { withSystemPalette } from './palette';

function secretIdOf(plan: PlatformPlan): string {
  if (!plan.reverseProxySecretId) throw new ConfigurationError('This deployment has no reverse-proxy secret (config reverseProxySecretArn)');
  return plan.reverseProxySecretId;
}

/** Reads and validates the secret; throws ReverseProxyValidationError naming each bad field. */
export async function readReverseProxySecret(plan: PlatformPlan): Promise<ValidatedReverseProxy> {
  const secretId = secretIdOf(plan);
  const text = await readSecretString(secretId);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ReverseProxyValidationError([{ field: '(root)', message: 'the secret value is not valid JSON' }], `secret ${secretId}`);
  }
  return validateReverseProxy(json, { source: `secret ${secretId}` });
}

/** CheckReverseProxySecret: validation only, before any Palette call or AWS change. */
export async function checkReverseProxySecret(plan: PlatformPlan): Promise<ReverseProxySummary> {
  const { summary } = await readReverseProxySecret(plan);
  logger.info('Reverse proxy settings are valid', { ...summary });
  return summary;
}

/** Fields of Palette's copy that differ from `wanted` (names only). A masked key is not compared. */
function differences(actual: SystemReverseProxy, wanted: ReverseProxyConfig): string[] {
  const out: string[] = [];
  if (actual.server !== wanted.server) out.push('server');
  if (actual.port !== wanted.port) out.push('port');
  if (actual.protocol !== wanted.protocol) out.push('protocol');
  if (wanted.vHostPort !== undefined && actual.vHostPort !== wanted.vHostPort) out.push('vHostPort');
  if (normalisePem(actual.caCert) !== wanted.caCert) out.push('caCert');
  if (normalisePem(actual.clientCert) !== wanted.clientCert) out.push('clientCert');
  const key = actual.clientKey ?? '';
  // Palette may mask the key; the validated certificate then pins it (only its own key matches it).
  if (key.includes('-----BEGIN') ? normalisePem(key) !== wanted.clientKey : key === '') out.push('clientKey');
  return out;
}

/** ConfigureReverseProxy: validate again (the secret may have changed), PUT when different, read back. */
export async function configureReverseProxy(plan: PlatformPlan): Promise<ReverseProxyResult> {
  const { config, summary } = await readReverseProxySecret(plan);
  return withSystemPalette(plan, async (client) => {
    const before = differences(await client.system.getReverseProxy(), config);
    const changed = before.length > 0;
    if (changed) {
      await client.system.updateReverseProxy(config);
      logger.info('Palette reverse proxy updated', { ...summary, changedFields: before });
    }
    const after = differences(await client.system.getReverseProxy(), config);
    if (after.length > 0) {
      throw new VerificationError(`Palette's reverse proxy does not read back as set: ${after.join(', ')} differ`);
    }
    return { ...summary, changed, verified: true as const };
  });
}
