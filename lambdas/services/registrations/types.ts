/**
 * The adapter contract of the one Palette registration reconciler (reconcile.ts). Each registration kind
 * (lambdas/domain/registrations.ts) has one adapter in kinds/: how to find its object by name and read it in
 * full, the spec Palette should hold, when the object has converged, how to validate, create, update and
 * delete it, and what the kind adds (annotations, result fields, secrets it writes). The ownership rule, the
 * registry and the create/update/undo sequence live in reconcile.ts only.
 */
import type { Ownership } from '../../domain/ownership';
import type { RegistrationKey, RegistrationKind, RegistrationPlan } from '../../domain/registrations';
import type { PaletteIdentity, Plan, PrincipalResult, RegistrationResult } from '../../domain/workflow-state';
import type { UndoResult } from '../aws/bucket';
import type { PaletteClient, PaletteScope } from '../palette';
import type { TenantOwnership } from '../registry/ownership';
import type { CredentialReads } from './credentials';

/** What every adapter call may use to reach its object (no registry: verification needs none). */
export interface LookupContext<K extends RegistrationKey> {
  readonly key: K;
  readonly kind: RegistrationKind<K>;
  readonly plan: Plan;
  /** The plan's entry of this kind. */
  readonly entry: RegistrationPlan<K>;
  /** The entry's name: the object's name in Palette. */
  readonly name: string;
  /** Tenant-scope client of the plan's Palette API key (API keys live there). */
  readonly client: PaletteClient;
  /** The scope the kind lives in: the request's project, or the tenant (registrationScope()). */
  readonly scope: PaletteScope;
}

/** An ensure or undo step: the lookup context plus the ownership rule and the step's inputs. */
export interface KindContext<K extends RegistrationKey> extends LookupContext<K> {
  readonly ownership: TenantOwnership;
  /** The tenant registry key of the object (resourceKey.palette(scope, paletteKind, name)). */
  readonly registryKey: string;
  /** Palette's identity and the AWS principal: present for the kinds with `needsPrincipal`. */
  readonly aws?: { palette: PaletteIdentity; principal: PrincipalResult };
  readonly now: Date;
  /**
   * Reads the tenant's credential secrets the plan entry names, remembering each version read: a kind whose
   * credentials Palette masks reads them through it, and the reconciler fingerprints them (credentials.ts).
   */
  readonly credentials: CredentialReads<K>;
}

/** The object found under the entry's name, read in full. */
export interface Found<O> {
  uid: string;
  object: O;
  /** Its annotations as read (from the GET where the list does not carry them). */
  annotations: Record<string, string>;
}

/** An existing object this run may use, with the ownership decision taken for it. */
export interface Existing<O> extends Found<O> {
  decision: Ownership;
}

/** What `renew` changed: the object to converge from then on (a renewed key has a new uid), and the desired spec. */
export interface Renewed<O, D> {
  existing: Existing<O>;
  desired: D;
}

export interface Created<X> {
  uid: string;
  /** The kind's result fields known only after the create (e.g. the API key value's secret). */
  resultFields?: X;
}

/** Result fields a kind adds to RegistrationResult. */
export interface SshKeyResultFields {
  /** The secret holding the generated private key (absent for a supplied public key). */
  privateKeySecretArn?: string;
  /** OpenSSH SHA-256 fingerprint of the key Palette holds (`SHA256:...`). */
  fingerprint: string;
}
export interface ApiKeyResultFields {
  /** The secret holding `{"apiKey": "..."}`; the value itself is never returned. */
  valueSecretArn: string;
  /** ISO 8601 expiry of the key. */
  expiresAt: string;
}
/** The kinds whose results carry fields besides RegistrationResult (a kind not listed here adds none). */
interface KindResultFields {
  sshKey: SshKeyResultFields;
  apiKey: ApiKeyResultFields;
}
export type ResultFields<K extends RegistrationKey> = K extends keyof KindResultFields ? KindResultFields[K] : object;

/** What an ensure step returns: RegistrationResult, `adopted: true` when this run adopted it, the kind's fields. */
export type RegistrationOutcome<K extends RegistrationKey> = RegistrationResult & { adopted?: true } & ResultFields<K>;

/**
 * One kind's adapter. `O` is the object as Palette returns it, `D` the spec Palette should hold (it may carry
 * secret values read from their secrets: those go to Palette only, never into results, logs or errors).
 *
 * The reconciler calls, in order: precheck, desired, find; for an existing object the ownership decision, then
 * resolve, renew, mustReplace, converged (+ the marks and the credentials' fingerprint), validate + update when not
 * converged; for a missing one resolve, validate, the registry intent, create. Methods are declared as methods (not function properties) so an adapter
 * with concrete `O` and `D` fits the table's `Reconciler<K>`.
 */
export interface Reconciler<K extends RegistrationKey, O = unknown, D = unknown> {
  /** Checks that need no Palette object and come before any other call (request rules, e.g. Azure's gateway rule). */
  precheck?(ctx: KindContext<K>): Promise<void>;
  /** The spec Palette should hold, credentials read from their secrets. Writes nothing. */
  desired(ctx: KindContext<K>): Promise<D>;
  /** The object of the entry's name in the kind's scope, read in full; undefined when there is none. */
  find(ctx: LookupContext<K>): Promise<Found<O> | undefined>;
  /**
   * Kind rules that need the existing object and the ownership decision (`existing` undefined: about to create).
   * Runs only after the ownership rule allowed the object; may refine the desired spec and may write only what
   * must precede the Palette write (the SSH private key secret).
   */
  resolve?(ctx: KindContext<K>, desired: D, existing: Existing<O> | undefined): Promise<D>;
  /**
   * Credentials the kind generates itself and renews (the API key): runs after resolve, on an existing object the
   * ownership rule allowed, before anything else is written; finishes or cleans up a renewal a crash interrupted, and
   * renews when one is due. Returns the object to converge from then on when it is another one, else undefined.
   */
  renew?(ctx: KindContext<K>, desired: D, existing: Existing<O>): Promise<Renewed<O, D> | undefined>;
  /** True when the existing object cannot be updated into the desired one and must be deleted and created again. */
  mustReplace?(ctx: KindContext<K>, desired: D, existing: Existing<O>): boolean;
  /**
   * The existing object's spec already is the desired one (Palette masks secrets: compare what can be compared; the
   * reconciler compares the fingerprint of the credentials read through `ctx.credentials`).
   */
  converged(ctx: KindContext<K>, existing: Existing<O>, desired: D): boolean;
  /** Runs before every create or update; throws a named error when the registration would not work. */
  validate?(ctx: KindContext<K>, desired: D, phase: 'create' | 'update'): Promise<void>;
  /** Annotations the kind sets besides the ownership marks (they win over existing ones). */
  annotations?(ctx: KindContext<K>, desired: D): Record<string, string>;
  create(ctx: KindContext<K>, desired: D, annotations: Record<string, string>): Promise<Created<ResultFields<K>>>;
  /** Puts the desired spec on the existing object, keeping the fields this workflow does not own. */
  update(ctx: KindContext<K>, existing: Existing<O>, desired: D, annotations: Record<string, string>): Promise<void>;
  delete(ctx: LookupContext<K>, uid: string): Promise<void>;
  /** The kind's result fields for an existing object. */
  resultFields?(ctx: KindContext<K>, desired: D, existing: Existing<O>): ResultFields<K>;
  /** Compensation of what the kind writes besides its Palette object (its secrets), only what this execution created. */
  undoWritten?(ctx: KindContext<K>): Promise<UndoResult>;
}
