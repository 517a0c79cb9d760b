/**
 * The credentials a registration kind reads from the tenant's secrets (the Azure app registration, the GCP key file,
 * MinIO keys), each with the version that was read, in the same GetSecretValue call: their fingerprint
 * (lambdas/domain/credential-changes.ts) tells a re-run whether Palette holds exactly these credentials, although
 * Palette masks them. One reader per ensure step (KindContext.credentials); values go to the kind's desired spec only.
 */
import type { z } from 'zod';
import { credentialsFingerprint, type SecretVersion } from '../../domain/credential-changes';
import type { RegistrationKey, RegistrationKind, RegistrationPlan } from '../../domain/registrations';
import type { Plan } from '../../domain/workflow-state';
import { StateInputError } from '../../shared/errors';
import { parseSecretJson, readSecretVersion } from '../../shared/secrets';
import { kindSecrets } from './secrets';

/** A field of the kind's plan entry that holds a secret ARN (e.g. `credentialsSecretArn`). */
export type SecretArnField<K extends RegistrationKey> = {
  [F in keyof RegistrationPlan<K>]-?: RegistrationPlan<K>[F] extends string ? F : never;
}[keyof RegistrationPlan<K>] &
  string;

interface Read extends SecretVersion {
  /** The request field that names the secret (`backupLocations.gcp.credentialsSecretArn`). */
  field: string;
}

export class CredentialReads<K extends RegistrationKey> {
  private readonly reads = new Map<string, Read>();

  constructor(private readonly ctx: { plan: Plan; kind: RegistrationKind<K>; entry: RegistrationPlan<K> }) {}

  /** The secret the entry's `field` names, as text; its version is remembered. */
  async text(field: SecretArnField<K>): Promise<string> {
    const arn: unknown = this.ctx.entry[field];
    if (typeof arn !== 'string' || arn === '') throw new StateInputError(`${this.ctx.kind.requestPath}.${field}: the plan has no secret ARN`);
    const { value, versionId } = await readSecretVersion(arn, kindSecrets(this.ctx));
    this.reads.set(arn, { secretArn: arn, versionId, field: `${this.ctx.kind.requestPath}.${field}` });
    return value;
  }

  /** The secret the entry's `field` names, as JSON of the schema (errors name the secret and the missing fields). */
  async json<T extends z.ZodType>(field: SecretArnField<K>, schema: T): Promise<z.output<T>> {
    const arn = String(this.ctx.entry[field]);
    return parseSecretJson(arn, await this.text(field), schema);
  }

  /** The request fields whose secrets were read (what a rejected change names). */
  get fields(): string[] {
    return [...new Set([...this.reads.values()].map((r) => r.field))].sort();
  }

  /** The fingerprint of the secret versions read, or undefined when the kind read none. */
  fingerprint(): string | undefined {
    const versions = [...this.reads.values()];
    return versions.length === 0 ? undefined : credentialsFingerprint(this.ctx.plan.tenantId, versions);
  }
}
