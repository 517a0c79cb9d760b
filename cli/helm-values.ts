/**
 * `platform-setup --reverse-proxy FILE --helm-values OUT`: the Helm values of Palette's management cluster (the
 * cluster half of the reverse proxy, seed 001) from the same reverse-proxy file the platform setup sends to Palette.
 * The file is validated exactly as the state machine validates the secret (certificate valid for the server name,
 * signed by the CA, matching key) before anything is written or called. OUT holds the private key: mode 0600.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { frpsHelmValues, renderFrpsHelmValues, ReverseProxyValidationError, validateReverseProxy } from '../lambdas/domain/reverse-proxy';
import { RequestFileError } from './request';

export interface HelmValuesWritten {
  file: string;
  frpHostURL: string;
  certSubject: string;
  certNotAfter: string;
}

/** Reads and validates the reverse-proxy file; throws RequestFileError naming the file and each bad field. */
export function readReverseProxyFile(file: string): ReturnType<typeof validateReverseProxy> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new RequestFileError(code === 'ENOENT' ? `reverse-proxy file not found: ${file}` : `cannot read ${file}: ${String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new RequestFileError(`${file} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return validateReverseProxy(json, { source: file });
  } catch (e) {
    if (e instanceof ReverseProxyValidationError) {
      throw new RequestFileError(e.message, e.issues.map((i) => ({ path: i.field, message: i.message })));
    }
    throw e;
  }
}

/** Writes the frps Helm values of `reverseProxyFile` to `out` (mode 0600, also when `out` existed). */
export function writeHelmValues(reverseProxyFile: string, out: string): HelmValuesWritten {
  const { config, summary } = readReverseProxyFile(reverseProxyFile);
  const values = frpsHelmValues(config);
  writeFileSync(out, renderFrpsHelmValues(values, reverseProxyFile), { mode: 0o600 });
  chmodSync(out, 0o600);
  return { file: out, frpHostURL: values.frps.frps.frpHostURL, certSubject: summary.certSubject, certNotAfter: summary.certNotAfter };
}

/** What the CLI prints after writing them (no key material). */
export function helmValuesMessage(w: HelmValuesWritten): string {
  return (
    `Wrote the Helm values of Palette's management cluster to ${w.file} (frps enabled, frpHostURL ${w.frpHostURL}, ` +
    `server certificate ${w.certSubject} valid until ${w.certNotAfter}, its key and the CA; keep the file like the key):\n` +
    `  helm upgrade --values values.yaml --values ${w.file} hubble spectro-mgmt-plane-0.0.0.tgz --install\n`
  );
}
