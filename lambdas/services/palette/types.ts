/** Readable aliases of the generated Palette schema types (generated/palette-api.ts). */
import type { components } from './generated/palette-api';

type Schemas = components['schemas'];

export type ObjectMeta = Schemas['v1ObjectMeta'];
export type ObjectMetaInput = Schemas['v1ObjectMetaInputEntity'];
export type ListMetaData = Schemas['v1ListMetaData'];
export type V1Error = Schemas['v1Error'];

export type AuthLogin = Schemas['v1AuthLogin'];
export type UserToken = Schemas['v1UserToken'];
export type SysLogin = Schemas['v1SysLogin'];
export type SysUserToken = Schemas['v1SysUserToken'];

export type SystemAwsStsAccount = Schemas['v1SystemAwsStsAccount'];
export type SystemAwsAccount = Schemas['v1SystemAwsAccount'];
export type SystemReverseProxy = Schemas['v1SystemReverseProxy'];

export type AwsPartition = Schemas['v1AwsPartition'];
export type AwsAccountSts = Schemas['V1AwsAccountSts'];
export type AwsCloudAccount = Schemas['v1AwsCloudAccount'];
export type AwsAccount = Schemas['v1AwsAccount'];
export type AwsAccounts = Schemas['v1AwsAccounts'];
export type AwsPolicyArnsSpec = Schemas['v1AwsPolicyArnsSpec'];
export type AzureCloudAccount = Schemas['v1AzureCloudAccount'];
export type AzureAccount = Schemas['v1AzureAccount'];
export type AzureAccounts = Schemas['v1AzureAccounts'];

export type SshKeyEntity = Schemas['v1UserAssetSshEntity'];
export type SshKey = Schemas['v1UserAssetSsh'];

export type ApiKeyEntity = Schemas['v1ApiKeyEntity'];
export type ApiKeyCreateResponse = Schemas['v1ApiKeyCreateResponse'];
export type ApiKey = Schemas['v1ApiKey'];
export type ApiKeyUpdate = Schemas['v1ApiKeyUpdate'];

export type BackupLocationSummary = Schemas['v1UserAssetsLocation'];
export type S3Location = Schemas['v1UserAssetsLocationS3'];
export type GcpLocation = Schemas['v1UserAssetsLocationGcp'];
export type AzureLocation = Schemas['v1UserAssetsLocationAzure'];
export type AwsS3BucketCredentials = Schemas['v1AwsS3BucketCredentials'];
export type GcpBucketNameValidateSpec = Schemas['v1GcpAccountNameValidateSpec'];
export type GcpAccountValidateEntity = Schemas['v1GcpCloudAccountValidateEntity'];

// Clusters (spec/supplement.json: official operations outside the subset).
export type ClusterSummary = Schemas['v1SpectroClusterSummary'];
export type ClustersSummary = Schemas['v1SpectroClustersSummary'];
export type ClusterSearchSpec = Schemas['v1SearchFilterSummarySpec'];
export type ClusterBackup = Schemas['v1ClusterBackup'];
export type ClusterBackupConfig = Schemas['v1ClusterBackupConfig'];

// Private cloud gateways, "overlords" in the API (spec/supplement.json: official operations outside the subset).
export type PrivateCloudGateway = Schemas['v1Overlord'];
export type PrivateCloudGatewayList = Schemas['v1Overlords'];

/** Values of `{type}` in PATCH /v1/users/assets/locations/{type}/{uid}/default (spec parameter description). */
export type BackupLocationType = 'aws' | 'azure' | 'gcp' | 'minio' | 's3';

/** Anything with Palette object metadata (used by the find-by-name helpers). */
export interface Named {
  metadata?: { name?: string; uid?: string; creationTimestamp?: string };
}
