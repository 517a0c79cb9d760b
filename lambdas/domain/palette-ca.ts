/**
 * Where the Palette CA bundle lives (README "Self-hosted Palette in a private network"): the PEM certificates of the
 * private CA a self-hosted Palette's TLS certificate chains to, trusted by the Palette client IN ADDITION to the
 * public roots. One string names it, the same in the stack config (`paletteCaBundle`) and in the Lambda environment
 * (`PALETTE_CA_BUNDLE`):
 *
 *   arn:<partition>:secretsmanager:<region>:<account>:secret:<name>   a Secrets Manager secret (complete or partial ARN)
 *   secretsmanager:<name>                                             a secret of the stack's account and region, by name
 *   arn:<partition>:ssm:<region>:<account>:parameter/<name>           an SSM parameter, by ARN
 *   ssm:<name>                                                        a parameter of the stack's account and region
 *                                                                     (e.g. ssm:/palette/ca-bundle)
 *
 * The secret's string value, or the parameter's value (String or SecureString), is the PEM text: one or more
 * `-----BEGIN CERTIFICATE-----` blocks. Pure: no SDK, no I/O.
 */

export type PaletteCaSource =
  | { kind: 'secret'; /** ARN or name, as Secrets Manager's SecretId takes it. */ secretId: string }
  | { kind: 'parameter'; /** Name (`/a/b` or `a`) or ARN, as SSM's GetParameter takes it. */ name: string };

const PARTITION = 'aws(?:-[a-z]+)*';
const SECRET_ARN = new RegExp(`^arn:${PARTITION}:secretsmanager:[a-z0-9-]+:\\d{12}:secret:[\\w/+=.@-]+$`);
const PARAMETER_ARN = new RegExp(`^arn:${PARTITION}:ssm:[a-z0-9-]+:\\d{12}:parameter/[\\w.\\-/]+$`);
const SECRET_NAME = /^[\w/+=.@-]{1,512}$/;
/** SSM parameter names: a-zA-Z0-9_.- and `/` for the hierarchy, at most 1011 characters (AWS's limit for the name). */
const PARAMETER_NAME = /^[\w.\-/]{1,1011}$/;

export const PALETTE_CA_SOURCE_FORMS =
  'a Secrets Manager secret ARN, secretsmanager:<secret name>, an SSM parameter ARN, or ssm:<parameter name>';

/** The source a `paletteCaBundle` / PALETTE_CA_BUNDLE value names, or a message saying why it names none. */
export function parsePaletteCaSource(value: string): PaletteCaSource | { problem: string } {
  const v = value.trim();
  if (SECRET_ARN.test(v)) return { kind: 'secret', secretId: v };
  if (PARAMETER_ARN.test(v)) return { kind: 'parameter', name: v };
  if (v.startsWith('secretsmanager:')) {
    const name = v.slice('secretsmanager:'.length);
    return SECRET_NAME.test(name) ? { kind: 'secret', secretId: name } : { problem: `"${name}" is not a Secrets Manager secret name ([A-Za-z0-9/_+=.@-], 1-512)` };
  }
  if (v.startsWith('ssm:')) {
    const name = v.slice('ssm:'.length);
    if (!PARAMETER_NAME.test(name) || name.includes('//') || (name.includes('/') && !name.startsWith('/'))) {
      return { problem: `"${name}" is not an SSM parameter name ([A-Za-z0-9_.-], hierarchical names start with /)` };
    }
    return { kind: 'parameter', name };
  }
  return { problem: `must be ${PALETTE_CA_SOURCE_FORMS}` };
}

/** The source, for messages: `secret <id>` / `SSM parameter <name>`. */
export function describePaletteCaSource(source: PaletteCaSource): string {
  return source.kind === 'secret' ? `secret ${source.secretId}` : `SSM parameter ${source.name}`;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+?-----END CERTIFICATE-----/g;

/**
 * The certificates of a PEM bundle, each as its own PEM block. Text outside the blocks (comments, blank lines,
 * `subject=` lines that openssl writes) is ignored; a bundle with no certificate block, or with a private key in it,
 * gives a problem instead.
 */
export function splitPemBundle(text: string): { certificates: string[] } | { problem: string } {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return { problem: 'holds a private key; it must hold CA certificates only' };
  const certificates = [...text.matchAll(PEM_BLOCK)].map((m) => `${m[0].replace(/\r\n/g, '\n')}\n`);
  if (certificates.length === 0) return { problem: 'holds no PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)' };
  return { certificates };
}
