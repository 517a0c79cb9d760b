/**
 * Palette registrations: one reconciler (reconcile.ts) for every kind of lambdas/domain/registrations.ts, with one
 * adapter per kind (kinds/, table RECONCILERS). Adding a kind: its entry in the domain table, its request section,
 * and its adapter file listed in kinds/index.ts.
 */
export { RECONCILERS } from './kinds';
export { EnsureRegistrationInputSchema, type EnsureRegistrationInput } from './input';
export {
  ensureRegistration,
  planEntry,
  registrationRegistryKey,
  undoAllRegistrations,
  undoRegistration,
  type EnsureRegistrationArgs,
} from './reconcile';
export { verifyRegistrations, type RegistrationResults, type VerificationResult } from './verify';
export type { ApiKeyResultFields, Reconciler, RegistrationOutcome, ResultFields, SshKeyResultFields } from './types';
export { API_KEY_UID_TAG } from './kinds/api-key';
export { OVERLORD_UID_ANNOTATION } from './kinds/azure-account';
export { probeMinioBucket, type MinioTarget } from './kinds/minio-backup-location';
