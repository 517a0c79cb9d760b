/**
 * One adapter per registration kind. Typed over every RegistrationKey: a kind added to
 * lambdas/domain/registrations.ts without its adapter here does not compile.
 */
import type { RegistrationKey } from '../../../domain/registrations';
import type { Reconciler } from '../types';
import { apiKey } from './api-key';
import { azureAccount } from './azure-account';
import { azureBackupLocation } from './azure-backup-location';
import { backupLocation } from './backup-location';
import { cloudAccount } from './cloud-account';
import { gcpBackupLocation } from './gcp-backup-location';
import { minioBackupLocation } from './minio-backup-location';
import { sshKey } from './ssh-key';

export const RECONCILERS: { readonly [K in RegistrationKey]: Reconciler<K> } = {
  cloudAccount,
  backupLocation,
  azureAccount,
  sshKey,
  apiKey,
  gcpBackupLocation,
  minioBackupLocation,
  azureBackupLocation,
};
