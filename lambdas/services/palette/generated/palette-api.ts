/**
 * GENERATED FILE - DO NOT EDIT. Regenerate with `npm run gen:palette`.
 * Source: lambdas/services/palette/spec/openapi-subset.json (sha256 4b05a5d694cbd971823c44149561b0ba0c607fdf7c18688e994d4e79499e1bae)
 *   + lambdas/services/palette/spec/supplement.json (sha256 ac6881f77bfb6d513b792c2362a81b48deec42bcbd1f9aaceed35d9ccbab2cd6), official paths and definitions only.
 * Tools: swagger2openapi 7.0.8, openapi-typescript 7.13.0.
 */
export interface paths {
    "/v1/apiKeys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Retrieves a list of API keys */
        get: operations["v1ApiKeysList"];
        put?: never;
        /** Create an API key */
        post: operations["v1ApiKeysCreate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apiKeys/{uid}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify API key uid */
                uid: string;
            };
            cookie?: never;
        };
        /** Returns the specified API key */
        get: operations["v1ApiKeysUidGet"];
        /** Update the specified API key */
        put: operations["v1ApiKeysUidUpdate"];
        post?: never;
        /** Deletes the specified API key */
        delete: operations["v1ApiKeysUidDelete"];
        options?: never;
        head?: never;
        /** Activate or de-active the specified API key */
        patch: operations["v1ApiKeysUidActiveState"];
        trace?: never;
    };
    "/v1/apiKeys/{uid}/state": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify API key uid */
                uid: string;
            };
            cookie?: never;
        };
        get?: never;
        /** Revoke or re-activate the API key access */
        put: operations["v1ApiKeysUidState"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/authenticate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Authenticates the user for the specified crendentials
         * @description Creates a authentication request with the specified credentials
         */
        post: operations["v1Authenticate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/refresh/{token}": {
        parameters: {
            query?: {
                /** @description Describes a way to set cookie from backend. */
                setCookie?: boolean;
            };
            header?: never;
            path: {
                /** @description Non expired Authorization token */
                token: string;
            };
            cookie?: never;
        };
        /**
         * Refreshes authentication token
         * @description Returns a new token within refresh timeout and same session id is maintained
         */
        get: operations["v1AuthRefresh"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/cloudaccounts/aws": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Retrieves a list of AWS cloud accounts */
        get: operations["v1CloudAccountsAwsList"];
        put?: never;
        /** Creates an AWS cloud account */
        post: operations["v1CloudAccountsAwsCreate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/cloudaccounts/aws/{uid}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description AWS cloud account uid */
                uid: string;
            };
            cookie?: never;
        };
        /** Returns the specified AWS account */
        get: operations["v1CloudAccountsAwsGet"];
        /** Updates the specified AWS account */
        put: operations["v1CloudAccountsAwsUpdate"];
        post?: never;
        /** Deletes the specified AWS account */
        delete: operations["v1CloudAccountsAwsDelete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/cloudaccounts/azure": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Retrieves a list of azure cloud accounts */
        get: operations["v1CloudAccountsAzureList"];
        put?: never;
        /** Create azure cloud account */
        post: operations["v1CloudAccountsAzureCreate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/cloudaccounts/azure/{uid}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Azure cloud account uid */
                uid: string;
            };
            cookie?: never;
        };
        /** Returns the specified azure cloud account */
        get: operations["v1CloudAccountsAzureGet"];
        /** Updates the specified azure account */
        put: operations["v1CloudAccountsAzureUpdate"];
        post?: never;
        /** Deletes the specified azure account */
        delete: operations["v1CloudAccountsAzureDelete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clouds/aws/account/sts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Retrieves AWS external id and account id */
        get: operations["V1AwsAccountStsGet"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clouds/aws/account/validate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Validate the specified AWS account credentials */
        post: operations["V1AwsAccountValidate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clouds/aws/policyArns/validate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Validate the aws policy arns validate */
        post: operations["V1AwsPolicyArnsValidate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clouds/aws/s3/validate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Validate the AWS S3 bucket */
        post: operations["V1AwsS3Validate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clouds/azure/account/validate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Check if Azure account is valid
         * @description Returns no contents if account is valid else error.
         */
        post: operations["V1AzureAccountValidate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clouds/gcp/account/validate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Validate the specified GCP account credentials */
        post: operations["V1GcpAccountValidate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clouds/gcp/bucketname/validate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Validate the specified GCP bucket name credentials */
        post: operations["V1GcpBucketNameValidate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/dashboard/spectroclusters/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Lists the summaries of the clusters that match a search filter (one page) */
        post: operations["v1SpectroClustersSearchFilterSummary"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/overlords": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Retrieves a list of overlords owned by the tenant */
        get: operations["v1OverlordsList"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/overlords/{uid}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                uid: string;
            };
            cookie?: never;
        };
        /** Returns the specified private gateway's for the given uid */
        get: operations["v1OverlordsUidGet"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/spectroclusters/{uid}/features/backup": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Cluster uid */
                uid: string;
            };
            cookie?: never;
        };
        /** Returns the backup configuration of a cluster */
        get: operations["v1ClusterFeatureBackupGet"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/system/config/aws/account": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** get the system config aws devops account */
        get: operations["V1SystemConfigAwsAccountGet"];
        /** updates the system config aws devops account */
        put: operations["V1SystemConfigAwsAccountUpdate"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/system/config/aws/sts/account": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** get the system config aws sts devops account */
        get: operations["V1SystemConfigAwsStsAccountGet"];
        /** updates the system config AWS sts devops account */
        put: operations["V1SystemConfigAwsStsAccountUpdate"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/system/config/awsgov/sts/account": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** get the system config AWS gov sts devops account */
        get: operations["V1SystemConfigAwsGovStsAccountGet"];
        /** Updates the system config AWS gov sts devops account */
        put: operations["V1SystemConfigAwsGovStsAccountUpdate"];
        /** Create the system config AWS gov sts devops account */
        post: operations["V1SystemConfigAwsGovStsAccountCreate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/system/config/reverseproxy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** get the system config reverse proxy */
        get: operations["V1SystemConfigReverseProxyGet"];
        /** updates the system config reverse proxy */
        put: operations["V1SystemConfigReverseProxyUpdate"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/assets/locations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Returns the specified users location */
        get: operations["v1UsersAssetsLocationGet"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/assets/locations/{type}/{uid}/default": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the location type [aws/azure/gcp/minio/s3] */
                type: string;
                /** @description Specify the location uid */
                uid: string;
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Update the default backup location */
        patch: operations["v1UsersAssetsLocationDefaultUpdate"];
        trace?: never;
    };
    "/v1/users/assets/locations/{uid}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the location uid */
                uid: string;
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Deletes the specified location */
        delete: operations["v1UsersAssetsLocationDelete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/assets/locations/azure": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create a Azure location */
        post: operations["v1UsersAssetsLocationAzureCreate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/assets/locations/azure/{uid}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the Azure location uid */
                uid: string;
            };
            cookie?: never;
        };
        /** Returns the specified Azure location */
        get: operations["v1UsersAssetsLocationAzureGet"];
        /** Updates the specified Azure location */
        put: operations["v1UsersAssetsLocationAzureUpdate"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/assets/locations/gcp": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create a GCP location */
        post: operations["v1UsersAssetsLocationGcpCreate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/assets/locations/gcp/{uid}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the GCP location uid */
                uid: string;
            };
            cookie?: never;
        };
        /** Returns the specified GCP location */
        get: operations["v1UsersAssetsLocationGcpGet"];
        /** Updates the specified GCP location */
        put: operations["v1UsersAssetsLocationGcpUpdate"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/assets/locations/minio": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create a MinIO location */
        post: operations["v1UsersAssetsLocationMinioCreate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/assets/locations/minio/{uid}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the MinIO location uid */
                uid: string;
            };
            cookie?: never;
        };
        /** Returns the specified MinIO location */
        get: operations["v1UsersAssetsLocationMinioGet"];
        /** Updates the specified MinIO location */
        put: operations["v1UsersAssetsLocationMinioUpdate"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/assets/locations/s3": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create a S3 location */
        post: operations["v1UsersAssetsLocationS3Create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/assets/locations/s3/{uid}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the S3 location uid */
                uid: string;
            };
            cookie?: never;
        };
        /** Returns the specified S3 location */
        get: operations["v1UsersAssetsLocationS3Get"];
        /** Updates the specified S3 location */
        put: operations["v1UsersAssetsLocationS3Update"];
        post?: never;
        /** Returns the specified S3 location */
        delete: operations["v1UsersAssetsLocationS3Delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/assets/sshkeys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Returns the SSH keys */
        get: operations["v1UsersAssetsSshGet"];
        put?: never;
        /** Creates a SSH key */
        post: operations["v1UserAssetsSshCreate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/assets/sshkeys/{uid}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the SSH key uid */
                uid: string;
            };
            cookie?: never;
        };
        /** Returns the specified user ssh key */
        get: operations["v1UsersAssetSshGetUid"];
        /** Updates the specified user ssh key */
        put: operations["v1UsersAssetSshUpdate"];
        post?: never;
        /** Returns the specified user ssh key */
        delete: operations["v1UsersAssetSshDelete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        "v1.AzureAccountEntitySpec": {
            /**
             * @description Contains configuration for Azure cloud
             * @default public
             * @enum {string}
             */
            clientCloud?: "azure-china" | "azure-government" | "public";
            clientId?: string;
            clientSecret?: string;
            subscriptionId?: string;
            tenantId?: string;
        };
        "v1.GcpAccountEntitySpec": {
            jsonCredentials?: string;
        };
        /** @description API key information */
        v1ApiKey: {
            metadata?: components["schemas"]["v1ObjectMeta"];
            spec?: components["schemas"]["v1ApiKeySpec"];
            status?: components["schemas"]["v1ApiKeyStatus"];
        };
        v1ApiKeyActiveState: {
            /** @description API key active state */
            isActive?: boolean;
        };
        /** @description Response of create API key */
        v1ApiKeyCreateResponse: {
            /** @description Api key is used for authentication */
            apiKey?: string;
            /** @description User uid */
            uid?: string;
        };
        /** @description API key request payload */
        v1ApiKeyEntity: {
            metadata?: components["schemas"]["v1ObjectMeta"];
            spec?: components["schemas"]["v1ApiKeySpecEntity"];
        };
        v1ApiKeys: {
            /** @description List of API keys */
            items: components["schemas"]["v1ApiKey"][];
        };
        /** @description API key specification */
        v1ApiKeySpec: {
            expiry?: components["schemas"]["v1Time"];
            /** @description Deprecated: API key field will be no longer available */
            key?: string;
            user?: components["schemas"]["v1ApiKeyUser"];
        };
        /** @description API key specification */
        v1ApiKeySpecEntity: {
            expiry?: components["schemas"]["v1Time"];
            /** @description User to whom the API key has to be created */
            userUid?: string;
        };
        /** @description API key update request specification */
        v1ApiKeySpecUpdate: {
            expiry?: components["schemas"]["v1Time"];
        };
        /** @description API key status */
        v1ApiKeyStatus: {
            /** @description API key active state */
            isActive?: boolean;
        };
        /** @description API key update request payload */
        v1ApiKeyUpdate: {
            metadata?: components["schemas"]["v1ObjectMeta"];
            spec?: components["schemas"]["v1ApiKeySpecUpdate"];
        };
        /** @description API key user information */
        v1ApiKeyUser: {
            /** @description First name of user */
            firstName?: string;
            /** @description Last name of user */
            lastName?: string;
            /** @description User uid */
            uid?: string;
        };
        /** @description Describes the credential details required for authentication */
        v1AuthLogin: {
            /** @description Describes the email id required for the user to authenticate */
            emailId?: string;
            /** @description Describes the user's organization name to login */
            org?: string;
            /**
             * Format: password
             * @description Describes the password required for the user to authenticate
             */
            password?: string;
        };
        /** @description Aws cloud account information */
        v1AwsAccount: {
            apiVersion?: string;
            kind?: string;
            metadata?: components["schemas"]["v1ObjectMeta"];
            spec?: components["schemas"]["v1AwsCloudAccount"];
            status?: components["schemas"]["v1CloudAccountStatus"];
        };
        /** @description List of AWS accounts */
        v1AwsAccounts: {
            items: components["schemas"]["v1AwsAccount"][];
            listmeta?: components["schemas"]["v1ListMetaData"];
        };
        /** @description AWS cloud account sts */
        V1AwsAccountSts: {
            /** @description A 12-digit number, such as 123456789012, that uniquely identifies an AWS account */
            accountId?: string;
            /** @description It can be passed to the AssumeRole API of the STS. It can be used in the condition element in a role's trust policy, allowing the role to be assumed only when a certain value is present in the external ID */
            externalId?: string;
            partition?: components["schemas"]["v1AwsPartition"];
        };
        /** @description AWS cloud account which includes access key and secret key in case of 'secret' credentials type. It includes policyARNS, ARN and externalId in case of sts. It includes roleArn and permissionBoundaryArn in case of podIdentity. Partition is a group of AWS Region and Service objects */
        v1AwsCloudAccount: {
            /** @description AWS account access key */
            accessKey?: string;
            credentialType?: components["schemas"]["v1AwsCloudAccountCredentialType"];
            /**
             * @description AWS accounts are scoped to a single partition. Allowed values [aws, aws-us-gov], Default values
             * @default aws
             * @enum {string}
             */
            partition?: "aws" | "aws-us-gov" | "aws-iso" | "aws-iso-b";
            podIdentity?: components["schemas"]["v1AwsPodIdentityCredentials"];
            /** @description List of policy ARNs required in case of credentialType sts. */
            policyARNs?: string[];
            /** @description AWS account secret key */
            secretKey?: string;
            secretSpec?: components["schemas"]["v1AwsSecretSpec"];
            /** @description AWS account secret token; in case of aws-iso and aws-iso-b */
            secretToken?: string;
            sts?: components["schemas"]["v1AwsStsCredentials"];
        };
        /**
         * @description Allowed Values [secret, sts, pod-identity]. STS type will be used for role assumption for sts type, accessKey/secretKey contains the source account, Arn is the target account. Pod Identity type will be used for EKS Pod Identity authentication with roleArn as the target account.
         * @default secret
         * @enum {string}
         */
        v1AwsCloudAccountCredentialType: "secret" | "sts" | "pod-identity";
        /**
         * @description AWS accounts are scoped to a single partition. Allowed values [aws, aws-us-gov], Default values
         * @default aws
         * @enum {string}
         */
        v1AwsPartition: "aws" | "aws-us-gov";
        /** @description AWS EKS Pod Identity credentials for role assumption */
        v1AwsPodIdentityCredentials: {
            /** @description Optional Permission Boundary ARN to limit the maximum permissions for roles created by Hubble */
            permissionBoundaryArn?: string;
            /** @description IAM Role ARN for the AWS EKS Pod Identity in cloud account */
            roleArn?: string;
        };
        /** @description Aws policy ARNs spec */
        v1AwsPolicyArnsSpec: {
            account: components["schemas"]["v1AwsCloudAccount"];
            policyArns: string[];
        };
        /** @description AWS S3 Bucket credentials */
        v1AwsS3BucketCredentials: {
            /** @description Name of AWS S3 bucket */
            bucket: string;
            credentials: components["schemas"]["v1AwsCloudAccount"];
            /** @description Name of the folder in the specified AWS S3 bucket. */
            folder?: string;
            /** @description Name of the available AWS region. */
            region: string;
        };
        /** @description AWS cloud account which includes access key and secret key in case of 'secret' credentials type. It includes policyARNS, ARN and externalId in case of sts. Partition is a group of AWS Region and Service objects */
        v1AwsSecretSpec: {
            /** @description AWS secret accountName; only for aws-iso-b environment */
            accountName?: string;
            /** @description AWS secret agency */
            agency?: string;
            /** @description Flag to rotate the secret region credentials */
            isCapValidationEnabled?: boolean;
            /** @description AWS secret mission; only for aws-iso environment */
            mission?: string;
            /** @description Policy Boundary */
            namePrefix?: string;
            /** @description Role or Policy Prefix */
            permissionBoundary?: string;
            /** @description AWS secret policy; JSON string */
            policy?: string;
            /** @description AWS secret role */
            role?: string;
            tls?: components["schemas"]["v1AwsSecretTlsConfig"];
        };
        /** @description TLS configuration for the AWS secret */
        v1AwsSecretTlsConfig: {
            /** @description CA certificate */
            ca?: string;
            /** @description Certificate */
            cert?: string;
            /** @description Key */
            key?: string;
        };
        /** @description Aws sts credentials */
        v1AwsStsCredentials: {
            /** @description Arn for the aws sts credentials in cloud account */
            arn?: string;
            /** @description ExternalId for the aws sts credentials in cloud account */
            externalId?: string;
        };
        /** @description Azure account information */
        v1AzureAccount: {
            /** @description Cloud account api version */
            apiVersion?: string;
            /** @description Cloud account kind */
            kind?: string;
            metadata?: components["schemas"]["v1ObjectMeta"];
            spec?: components["schemas"]["v1AzureCloudAccount"];
            status?: components["schemas"]["v1CloudAccountStatus"];
        };
        v1AzureAccounts: {
            items: components["schemas"]["v1AzureAccount"][];
            listmeta?: components["schemas"]["v1ListMetaData"];
        };
        v1AzureCloudAccount: {
            /**
             * @description Contains configuration for Azure cloud
             * @default AzurePublicCloud
             * @enum {string}
             */
            azureEnvironment?: "AzureChinaCloud" | "AzurePublicCloud" | "AzureUSGovernment" | "AzureUSGovernmentCloud" | "AzureUSSecretCloud";
            /** @description Client ID(Directory ID) is a unique identifier generated by Azure AD that is tied to an application */
            clientId: string;
            /** @description ClientSecret is the secret associated with Client */
            clientSecret: string;
            settings?: components["schemas"]["v1CloudAccountSettings"];
            /** @description Tenant ID is the ID for the Azure AD tenant that the user belongs to. */
            tenantId: string;
            /** @description Tenant ID is the ID for the Azure AD tenant that the user belongs to. */
            tenantName?: string;
            tls?: components["schemas"]["v1AzureSecretTlsConfig"];
        };
        /** @description TLS configuration for the AWS secret */
        v1AzureSecretTlsConfig: {
            /** @description Certificate is the TLS certificate used to authenticate the Azure secret */
            cert?: string;
        };
        /** @description Azure storage config object */
        v1AzureStorageConfig: {
            /** @description Azure container name */
            containerName: string;
            credentials: components["schemas"]["v1.AzureAccountEntitySpec"];
            /** @description Azure resource group name, to which the storage account is mapped */
            resourceGroup: string;
            /** @description Azure sku */
            sku?: string;
            /** @description Azure storage name */
            storageName: string;
        };
        /** @description Cloud account meta */
        v1CloudAccountMeta: {
            name?: string;
            uid?: string;
        };
        /** @description Cloud account settings */
        v1CloudAccountSettings: {
            /** @description Will disable certain properties request to cloud and the input is collected directly from the user */
            disablePropertiesRequest?: boolean;
        };
        /** @description Status of the account */
        v1CloudAccountStatus: {
            /** @description Cloud account status */
            state?: string;
            tokenExpiry?: components["schemas"]["v1Time"];
            tokenGenerationTime?: components["schemas"]["v1Time"];
        };
        /** @description Cluster Backup */
        v1ClusterBackup: {
            metadata?: components["schemas"]["v1ObjectMeta"];
            spec?: components["schemas"]["v1ClusterBackupSpec"];
        };
        /** @description Cluster backup config */
        v1ClusterBackupConfig: {
            backupLocationName?: string;
            backupLocationUid?: string;
            backupName?: string;
            backupPrefix?: string;
            /** Format: int64 */
            durationInHours?: number;
            includeAllDisks?: boolean;
            includeClusterResourceMode?: components["schemas"]["v1IncludeClusterResourceMode"];
            /** @description Deprecated. Use includeClusterResourceMode */
            includeClusterResources?: boolean;
            locationType?: string;
            namespaces?: string[];
            schedule?: components["schemas"]["v1ClusterFeatureSchedule"];
        };
        /** @description Cluster Backup Spec */
        v1ClusterBackupSpec: {
            clusterUid?: string;
            config?: components["schemas"]["v1ClusterBackupConfig"];
        };
        /** @description Cluster feature schedule */
        v1ClusterFeatureSchedule: {
            scheduledRunTime?: string;
        };
        v1Error: {
            code?: string;
            details?: Record<string, never>;
            message?: string;
            ref?: string;
        };
        /** @description Gcp cloud account name validate spec */
        v1GcpAccountNameValidateSpec: {
            /** @description Bucket name in the GCP */
            bucketName: string;
            credentials: components["schemas"]["v1GcpAccountValidateSpec"];
            /** @description ProjectId in the GCP */
            projectId?: string;
        };
        /** @description Gcp cloud account entity which takes json credentials or reference to the file where credentials are stored */
        v1GcpAccountValidateSpec: {
            /** @description Gcp cloud account json credentials */
            jsonCredentials?: string;
        };
        /** @description Gcp cloud account spec */
        v1GcpCloudAccountValidateEntity: {
            spec?: components["schemas"]["v1GcpAccountValidateSpec"];
        };
        /** @description GCP storage config object */
        v1GcpStorageConfig: {
            /** @description GCP storage bucket name */
            bucketName: string;
            credentials: components["schemas"]["v1.GcpAccountEntitySpec"];
            /** @description GCP project id */
            projectId?: string;
        };
        /**
         * @description Specifies the scope of cluster-wide resources to include in the backup based on the flag'--include-cluster-resources':
         *     - "Always": --include-cluster-resources=true, which includes all cluster-wide resources; restores only on the original cluster.
         *     - "Auto": don't specify --include-cluster-resources, which exclude general cluster-wide resources, but includes PersistentVolumes linked to selected namespaces.
         *     - "Never": --include-cluster-resources=false, exclude all cluster-wide resources, including PersistentVolumes.
         * @enum {string}
         */
        v1IncludeClusterResourceMode: "Always" | "Auto" | "Never";
        /** @description ListMeta describes metadata for the resource listing */
        v1ListMetaData: {
            /** @description Next token for the pagination. Next token is equal to empty string indicates end of result set. */
            continue?: string;
            /** @description Total count of the resources which might change during pagination based on the resources addition or deletion */
            count?: number;
            /** @description Number of records feteched */
            limit?: number;
            /** @description The next offset for the pagination. Starting index for which next request will be placed. */
            offset?: number;
        };
        /**
         * @description Location type
         * @default s3
         * @enum {string}
         */
        v1LocationType: "s3" | "gcp" | "minio";
        /** @description ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create. */
        v1ObjectMeta: {
            /** @description Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata. They are not queryable and should be preserved when modifying objects. More info: http://kubernetes.io/docs/user-guide/annotations */
            annotations?: {
                [key: string]: string;
            };
            creationTimestamp?: components["schemas"]["v1Time"];
            deletionTimestamp?: components["schemas"]["v1Time"];
            /** @description Map of string keys and values that can be used to organize and categorize (scope and select) objects. May match selectors of replication controllers and services. More info: http://kubernetes.io/docs/user-guide/labels */
            labels?: {
                [key: string]: string;
            };
            lastModifiedTimestamp?: components["schemas"]["v1Time"];
            /** @description Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: http://kubernetes.io/docs/user-guide/identifiers#names */
            name?: string;
            /**
             * @description UID is the unique in time and space value for this object. It is typically generated by the server on successful creation of a resource and is not allowed to change on PUT operations.
             *
             *     Populated by the system. Read-only. More info: http://kubernetes.io/docs/user-guide/identifiers#uids
             */
            uid?: string;
        };
        /** @description ObjectMeta input entity for object creation */
        v1ObjectMetaInputEntity: {
            /** @description Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata. They are not queryable and should be preserved when modifying objects. More info: http://kubernetes.io/docs/user-guide/annotations */
            annotations?: {
                [key: string]: string;
            };
            /** @description Map of string keys and values that can be used to organize and categorize (scope and select) objects. May match selectors of replication controllers and services. More info: http://kubernetes.io/docs/user-guide/labels */
            labels?: {
                [key: string]: string;
            };
            /** @description Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: http://kubernetes.io/docs/user-guide/identifiers#names */
            name?: string;
        };
        /** @description Overload spec */
        v1OverloadSpec: {
            cloudAccountUid?: string;
            ipAddress?: string;
            isSelfHosted?: boolean;
            isSystem?: boolean;
            spectroClusterUid?: string;
            tenantUid?: string;
        };
        /** @description Overload status */
        v1OverloadStatus: {
            isActive?: boolean;
            isReady?: boolean;
            kubectlCommands?: string[];
            state?: string;
        };
        /** @description Overlord defintiion */
        v1Overlord: {
            kind?: string;
            metadata?: components["schemas"]["v1ObjectMeta"];
            spec?: components["schemas"]["v1OverloadSpec"];
            status?: components["schemas"]["v1OverloadStatus"];
        };
        /** @description Array of Overlords */
        v1Overlords: {
            items: components["schemas"]["v1Overlord"][];
        };
        v1ProjectMeta: {
            name?: string;
            uid?: string;
        };
        /** @description S3 storage config object */
        v1S3StorageConfig: {
            /** @description S3 storage bucket name */
            bucketName: string;
            /** @description CA Certificate */
            caCert?: string;
            credentials: components["schemas"]["v1AwsCloudAccount"];
            /** @description AWS region name */
            region: string;
            /** @default true */
            s3ForcePathStyle?: boolean;
            /** @description Custom hosted S3 URL */
            s3Url?: string;
            /**
             * @description Set to 'true', to use Restic plugin for the backup
             * @default true
             */
            useRestic?: boolean;
        };
        /** @enum {string} */
        v1SearchFilterConjunctionOperator: "and" | "or";
        v1SearchFilterGroup: {
            conjunction?: components["schemas"]["v1SearchFilterConjunctionOperator"];
            filters?: components["schemas"]["v1SearchFilterItem"][];
        };
        v1SearchFilterItem: {
            property?: string;
            type?: components["schemas"]["v1SearchFilterPropertyType"];
        };
        /** @enum {string} */
        v1SearchFilterPropertyType: "string" | "int" | "float" | "bool" | "date" | "keyValue";
        v1SearchFilterSortSpec: {
            field?: components["schemas"]["v1SearchSortFields"];
            order?: components["schemas"]["v1SortOrder"];
        };
        v1SearchFilterSpec: {
            conjunction?: components["schemas"]["v1SearchFilterConjunctionOperator"];
            filterGroups?: components["schemas"]["v1SearchFilterGroup"][];
        };
        /** @description Spectro cluster search filter summary spec */
        v1SearchFilterSummarySpec: {
            filter?: components["schemas"]["v1SearchFilterSpec"];
            sort?: components["schemas"]["v1SearchFilterSortSpec"][];
        };
        /** @enum {string} */
        v1SearchSortFields: "environment" | "clusterName" | "clusterState" | "healthState" | "creationTimestamp" | "lastModifiedTimestamp";
        /** @enum {string} */
        v1SortOrder: "asc" | "desc";
        v1SpectroClustersSummary: {
            items: components["schemas"]["v1SpectroClusterSummary"][];
            listmeta?: components["schemas"]["v1ListMetaData"];
        };
        /** @description Spectro cluster summary */
        v1SpectroClusterSummary: {
            metadata?: components["schemas"]["v1ObjectMeta"];
            /** @description Spectro cluster spec summary */
            specSummary?: {
                cloudAccountMeta?: components["schemas"]["v1CloudAccountMeta"];
                projectMeta?: components["schemas"]["v1ProjectMeta"];
            };
            /** @description Spectro cluster status summary */
            status?: {
                state?: string;
            };
        };
        /** @description System admin login input */
        v1SysLogin: {
            emailId?: string;
            /** Format: password */
            password?: string;
            username?: string;
        };
        /** @description SystemAdmin */
        v1SystemAwsAccount: {
            spec?: components["schemas"]["v1SystemAwsSpec"];
        };
        /** @description system aws account specifications */
        v1SystemAwsSpec: {
            accessKey?: string;
            secretKey?: string;
        };
        /** @description System AWS Gov account specifications */
        v1SystemAwsStsAccount: {
            accessKey?: string;
            accountId?: string;
            secretKey?: string;
        };
        /** @description system config reverse proxy */
        v1SystemReverseProxy: {
            caCert?: string;
            clientCert?: string;
            clientKey?: string;
            port?: number;
            /** @enum {string} */
            protocol?: "http" | "https";
            server?: string;
            vHostPort?: number;
        };
        /** @description Auth token response */
        v1SysUserToken: {
            Authorization?: string;
            IsEmailSet?: boolean;
            IsEmailVerified?: boolean;
            IsMfa?: boolean;
            IsPasswordReset?: boolean;
        };
        /**
         * Format: date-time
         * @description Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.
         */
        v1Time: string;
        v1Uid: {
            uid: string;
        };
        /** @description The resource was updated successfully */
        v1Updated: unknown;
        /** @description Location object */
        v1UserAssetsLocation: {
            metadata?: components["schemas"]["v1ObjectMeta"];
            spec?: components["schemas"]["v1UserAssetsLocationSpec"];
        };
        /** @description Azure location object */
        v1UserAssetsLocationAzure: {
            metadata?: components["schemas"]["v1ObjectMetaInputEntity"];
            spec?: components["schemas"]["v1UserAssetsLocationAzureSpec"];
        };
        /** @description Azure location specification */
        v1UserAssetsLocationAzureSpec: {
            config: components["schemas"]["v1AzureStorageConfig"];
            /** @description Set to 'true', if location has to be set as default */
            isDefault?: boolean;
            /** @description Azure location type [azure] */
            type?: string;
        };
        /** @description GCP location object */
        v1UserAssetsLocationGcp: {
            metadata?: components["schemas"]["v1ObjectMetaInputEntity"];
            spec?: components["schemas"]["v1UserAssetsLocationGcpSpec"];
        };
        /** @description GCP location specification */
        v1UserAssetsLocationGcpSpec: {
            config: components["schemas"]["v1GcpStorageConfig"];
            /** @description Set to 'true', if location has to be set as default */
            isDefault?: boolean;
            /** @description GCP location type [gcp] */
            type?: string;
        };
        v1UserAssetsLocations: {
            /** @description List of locations */
            items: components["schemas"]["v1UserAssetsLocation"][];
        };
        /** @description S3 location object */
        v1UserAssetsLocationS3: {
            metadata?: components["schemas"]["v1ObjectMetaInputEntity"];
            spec?: components["schemas"]["v1UserAssetsLocationS3Spec"];
        };
        /** @description S3 location specification */
        v1UserAssetsLocationS3Spec: {
            config: components["schemas"]["v1S3StorageConfig"];
            /** @description Set to 'true', if location has to be set as default */
            isDefault?: boolean;
            /** @description S3 location type [s3/minio] */
            type?: string;
        };
        /** @description Location specification */
        v1UserAssetsLocationSpec: {
            isDefault?: boolean;
            storage?: components["schemas"]["v1LocationType"];
            type?: string;
        };
        /** @description SSH key information */
        v1UserAssetSsh: {
            metadata?: components["schemas"]["v1ObjectMeta"];
            spec?: components["schemas"]["v1UserAssetSshSpec"];
        };
        /** @description SSH Key request payload */
        v1UserAssetSshEntity: {
            metadata?: components["schemas"]["v1ObjectMetaInputEntity"];
            spec?: components["schemas"]["v1UserAssetSshSpec"];
        };
        /** @description SSH key specification */
        v1UserAssetSshSpec: {
            publicKey?: string;
        };
        v1UserAssetsSsh: {
            /** @description List of SSH keys */
            items: components["schemas"]["v1UserAssetSsh"][];
        };
        /** @description Returns the Authorization token. To be used for further api calls */
        v1UserToken: {
            /** @description Describes the authentication token in jwt format. */
            Authorization?: string;
            /** @description Indicates the authentication flow using MFA */
            isMfa?: boolean;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: {
        v1ApiKeyActiveState: {
            content: {
                "application/json": components["schemas"]["v1ApiKeyActiveState"];
            };
        };
        v1SystemAwsStsAccount: {
            content: {
                "application/json": components["schemas"]["v1SystemAwsStsAccount"];
            };
        };
        v1UserAssetsLocationAzure: {
            content: {
                "application/json": components["schemas"]["v1UserAssetsLocationAzure"];
            };
        };
        v1UserAssetsLocationGcp: {
            content: {
                "application/json": components["schemas"]["v1UserAssetsLocationGcp"];
            };
        };
        v1UserAssetsLocationS3: {
            content: {
                "application/json": components["schemas"]["v1UserAssetsLocationS3"];
            };
        };
    };
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    v1ApiKeysList: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Retrieves a list of API keys */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1ApiKeys"];
                };
            };
        };
    };
    v1ApiKeysCreate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["v1ApiKeyEntity"];
            };
        };
        responses: {
            /** @description APIKey Created successfully */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1ApiKeyCreateResponse"];
                };
            };
        };
    };
    v1ApiKeysUidGet: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify API key uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description (empty) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1ApiKey"];
                };
            };
        };
    };
    v1ApiKeysUidUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify API key uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["v1ApiKeyUpdate"];
            };
        };
        responses: {
            /** @description The resource was updated successfully */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    v1ApiKeysUidDelete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify API key uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The resource was deleted successfully */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    v1ApiKeysUidActiveState: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify API key uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: components["requestBodies"]["v1ApiKeyActiveState"];
        responses: {
            /** @description The resource was updated successfully */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    v1ApiKeysUidState: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify API key uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: components["requestBodies"]["v1ApiKeyActiveState"];
        responses: {
            /** @description The resource was updated successfully */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    v1Authenticate: {
        parameters: {
            query?: {
                /** @description Describes a way to set cookie from backend. */
                setCookie?: boolean;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Describes the credential details required for authentication */
        requestBody: {
            content: {
                "application/json": components["schemas"]["v1AuthLogin"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1UserToken"];
                };
            };
        };
    };
    v1AuthRefresh: {
        parameters: {
            query?: {
                /** @description Describes a way to set cookie from backend. */
                setCookie?: boolean;
            };
            header?: never;
            path: {
                /** @description Non expired Authorization token */
                token: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1UserToken"];
                };
            };
        };
    };
    v1CloudAccountsAwsList: {
        parameters: {
            query?: {
                /** @description continue token to paginate the subsequent data items */
                continue?: string;
                /** @description Set of fields to be presented in the response with values. The fields are comma separated. Eg: metadata.uid,metadata.name */
                fields?: string;
                /**
                 * @description Filters can be combined with AND, OR operators with field path name. Eg: metadata.name=TestServiceANDspec.cloudType=aws
                 *
                 *     Server will be restricted to certain fields based on the indexed data for each resource.
                 */
                filters?: string;
                /**
                 * @description limit is a maximum number of responses to return for a list call. Default and maximum value of the limit is 50.
                 *     If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results.
                 */
                limit?: number;
                /** @description offset is the next index number from which the response will start. The response offset value can be used along with continue token for the pagination. */
                offset?: number;
                /** @description Specify the fields with sort order. 1 indicates ascending and -1 for descending. Eg: orderBy=metadata.name=1,metadata.uid=-1 */
                orderBy?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description An array of cloud account items */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1AwsAccounts"];
                };
            };
        };
    };
    v1CloudAccountsAwsCreate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Request payload to validate AWS cloud account */
        requestBody?: {
            content: {
                "application/json": components["schemas"]["v1AwsAccount"];
            };
        };
        responses: {
            /** @description Created successfully */
            201: {
                headers: {
                    /** @description Audit uid for the request */
                    AuditUid?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1Uid"];
                };
            };
        };
    };
    v1CloudAccountsAwsGet: {
        parameters: {
            query?: {
                assumeCredentials?: boolean;
            };
            header?: never;
            path: {
                /** @description AWS cloud account uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1AwsAccount"];
                };
            };
        };
    };
    v1CloudAccountsAwsUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description AWS cloud account uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["v1AwsAccount"];
            };
        };
        responses: {
            /** @description The resource was updated successfully */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    v1CloudAccountsAwsDelete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description AWS cloud account uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The resource was deleted successfully */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    v1CloudAccountsAzureList: {
        parameters: {
            query?: {
                /** @description continue token to paginate the subsequent data items */
                continue?: string;
                /** @description Set of fields to be presented in the response with values. The fields are comma separated. Eg: metadata.uid,metadata.name */
                fields?: string;
                /**
                 * @description Filters can be combined with AND, OR operators with field path name. Eg: metadata.name=TestServiceANDspec.cloudType=aws
                 *
                 *     Server will be restricted to certain fields based on the indexed data for each resource.
                 */
                filters?: string;
                /**
                 * @description limit is a maximum number of responses to return for a list call. Default and maximum value of the limit is 50.
                 *     If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results.
                 */
                limit?: number;
                /** @description offset is the next index number from which the response will start. The response offset value can be used along with continue token for the pagination. */
                offset?: number;
                /** @description Specify the fields with sort order. 1 indicates ascending and -1 for descending. Eg: orderBy=metadata.name=1,metadata.uid=-1 */
                orderBy?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description An array of azure cloud account items */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1AzureAccounts"];
                };
            };
        };
    };
    v1CloudAccountsAzureCreate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Request payload to validate Azure cloud account */
        requestBody?: {
            content: {
                "application/json": components["schemas"]["v1AzureAccount"];
            };
        };
        responses: {
            /** @description Created successfully */
            201: {
                headers: {
                    /** @description Audit uid for the request */
                    AuditUid?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1Uid"];
                };
            };
        };
    };
    v1CloudAccountsAzureGet: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Azure cloud account uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1AzureAccount"];
                };
            };
        };
    };
    v1CloudAccountsAzureUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Azure cloud account uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["v1AzureAccount"];
            };
        };
        responses: {
            /** @description The resource was updated successfully */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    v1CloudAccountsAzureDelete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Azure cloud account uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The resource was deleted successfully */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    V1AwsAccountStsGet: {
        parameters: {
            query?: {
                /** @description AWS accounts are scoped to a single partition. Allowed values [aws, aws-us-gov], Default values */
                partition?: "aws" | "aws-us-gov";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description (empty) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["V1AwsAccountSts"];
                };
            };
        };
    };
    V1AwsAccountValidate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Request payload to validate AWS cloud account */
        requestBody: {
            content: {
                "application/json": components["schemas"]["v1AwsCloudAccount"];
            };
        };
        responses: {
            /** @description Ok response without content */
            204: {
                headers: {
                    /** @description Audit uid for the request */
                    AuditUid?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    V1AwsPolicyArnsValidate: {
        parameters: {
            query?: {
                /** @description Uid for the specific AWS cloud account */
                cloudAccountUid?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Request payload to validate AWS policy ARN */
        requestBody: {
            content: {
                "application/json": components["schemas"]["v1AwsPolicyArnsSpec"];
            };
        };
        responses: {
            /** @description Ok response without content */
            204: {
                headers: {
                    /** @description Audit uid for the request */
                    AuditUid?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    V1AwsS3Validate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description AWS S3 bucket credentials */
        requestBody: {
            content: {
                "application/json": components["schemas"]["v1AwsS3BucketCredentials"];
            };
        };
        responses: {
            /** @description Ok response without content */
            204: {
                headers: {
                    /** @description Audit uid for the request */
                    AuditUid?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    V1AzureAccountValidate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Request payload for Azure cloud account */
        requestBody: {
            content: {
                "application/json": components["schemas"]["v1AzureCloudAccount"];
            };
        };
        responses: {
            /** @description Ok response without content */
            204: {
                headers: {
                    /** @description Audit uid for the request */
                    AuditUid?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    V1GcpAccountValidate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Uid for the specific GCP cloud account */
        requestBody: {
            content: {
                "application/json": components["schemas"]["v1GcpCloudAccountValidateEntity"];
            };
        };
        responses: {
            /** @description Ok response without content */
            204: {
                headers: {
                    /** @description Audit uid for the request */
                    AuditUid?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    V1GcpBucketNameValidate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Request payload for GCP account name validate */
        requestBody: {
            content: {
                "application/json": components["schemas"]["v1GcpAccountNameValidateSpec"];
            };
        };
        responses: {
            /** @description Ok response without content */
            204: {
                headers: {
                    /** @description Audit uid for the request */
                    AuditUid?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    v1SpectroClustersSearchFilterSummary: {
        parameters: {
            query?: {
                /** @description continue token to paginate the subsequent data items */
                continue?: string;
                /**
                 * @description limit is a maximum number of responses to return for a list call. Maximum value of the limit is 50.
                 *     If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results.
                 */
                limit?: number;
                /** @description offset is the next index number from which the response will start. The response offset value can be used along with continue token for the pagination. */
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["v1SearchFilterSummarySpec"];
            };
        };
        responses: {
            /** @description An array of cluster summary items */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1SpectroClustersSummary"];
                };
            };
        };
    };
    v1OverlordsList: {
        parameters: {
            query?: {
                name?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description (empty) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1Overlords"];
                };
            };
        };
    };
    v1OverlordsUidGet: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description (empty) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1Overlord"];
                };
            };
        };
    };
    v1ClusterFeatureBackupGet: {
        parameters: {
            query?: {
                backupRequestUid?: string;
            };
            header?: never;
            path: {
                /** @description Cluster uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1ClusterBackup"];
                };
            };
        };
    };
    V1SystemConfigAwsAccountGet: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Aws sts account */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1SystemAwsAccount"];
                };
            };
        };
    };
    V1SystemConfigAwsAccountUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["v1SystemAwsAccount"];
            };
        };
        responses: {
            /** @description (empty) */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1Updated"];
                };
            };
        };
    };
    V1SystemConfigAwsStsAccountGet: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description (empty) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1SystemAwsStsAccount"];
                };
            };
        };
    };
    V1SystemConfigAwsStsAccountUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["v1SystemAwsStsAccount"];
        responses: {
            /** @description (empty) */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1Updated"];
                };
            };
        };
    };
    V1SystemConfigAwsGovStsAccountGet: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description (empty) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1SystemAwsStsAccount"];
                };
            };
        };
    };
    V1SystemConfigAwsGovStsAccountUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["v1SystemAwsStsAccount"];
        responses: {
            /** @description (empty) */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1Updated"];
                };
            };
        };
    };
    V1SystemConfigAwsGovStsAccountCreate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["v1SystemAwsStsAccount"];
        responses: {
            /** @description Ok response without content */
            204: {
                headers: {
                    /** @description Audit uid for the request */
                    AuditUid?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    V1SystemConfigReverseProxyGet: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description (empty) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1SystemReverseProxy"];
                };
            };
        };
    };
    V1SystemConfigReverseProxyUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["v1SystemReverseProxy"];
            };
        };
        responses: {
            /** @description (empty) */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1Updated"];
                };
            };
        };
    };
    v1UsersAssetsLocationGet: {
        parameters: {
            query?: {
                /**
                 * @description Filters can be combined with AND, OR operators with field path name. Eg: metadata.name=TestServiceANDspec.cloudType=aws
                 *
                 *     Server will be restricted to certain fields based on the indexed data for each resource.
                 */
                filters?: string;
                /** @description Specify the fields with sort order. 1 indicates ascending and -1 for descending. Eg: orderBy=metadata.name=1,metadata.uid=-1 */
                orderBy?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1UserAssetsLocations"];
                };
            };
        };
    };
    v1UsersAssetsLocationDefaultUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the location type [aws/azure/gcp/minio/s3] */
                type: string;
                /** @description Specify the location uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The resource was updated successfully */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    v1UsersAssetsLocationDelete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the location uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The resource was deleted successfully */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    v1UsersAssetsLocationAzureCreate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: components["requestBodies"]["v1UserAssetsLocationAzure"];
        responses: {
            /** @description Created successfully */
            201: {
                headers: {
                    /** @description Audit uid for the request */
                    AuditUid?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1Uid"];
                };
            };
        };
    };
    v1UsersAssetsLocationAzureGet: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the Azure location uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description (empty) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1UserAssetsLocationAzure"];
                };
            };
        };
    };
    v1UsersAssetsLocationAzureUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the Azure location uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: components["requestBodies"]["v1UserAssetsLocationAzure"];
        responses: {
            /** @description The resource was updated successfully */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    v1UsersAssetsLocationGcpCreate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: components["requestBodies"]["v1UserAssetsLocationGcp"];
        responses: {
            /** @description Created successfully */
            201: {
                headers: {
                    /** @description Audit uid for the request */
                    AuditUid?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1Uid"];
                };
            };
        };
    };
    v1UsersAssetsLocationGcpGet: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the GCP location uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description (empty) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1UserAssetsLocationGcp"];
                };
            };
        };
    };
    v1UsersAssetsLocationGcpUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the GCP location uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: components["requestBodies"]["v1UserAssetsLocationGcp"];
        responses: {
            /** @description The resource was updated successfully */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    v1UsersAssetsLocationMinioCreate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: components["requestBodies"]["v1UserAssetsLocationS3"];
        responses: {
            /** @description Created successfully */
            201: {
                headers: {
                    /** @description Audit uid for the request */
                    AuditUid?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1Uid"];
                };
            };
        };
    };
    v1UsersAssetsLocationMinioGet: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the MinIO location uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description (empty) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1UserAssetsLocationS3"];
                };
            };
        };
    };
    v1UsersAssetsLocationMinioUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the MinIO location uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: components["requestBodies"]["v1UserAssetsLocationS3"];
        responses: {
            /** @description The resource was updated successfully */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    v1UsersAssetsLocationS3Create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: components["requestBodies"]["v1UserAssetsLocationS3"];
        responses: {
            /** @description Created successfully */
            201: {
                headers: {
                    /** @description Audit uid for the request */
                    AuditUid?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1Uid"];
                };
            };
        };
    };
    v1UsersAssetsLocationS3Get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the S3 location uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description (empty) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1UserAssetsLocationS3"];
                };
            };
        };
    };
    v1UsersAssetsLocationS3Update: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the S3 location uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: components["requestBodies"]["v1UserAssetsLocationS3"];
        responses: {
            /** @description The resource was updated successfully */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    v1UsersAssetsLocationS3Delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the S3 location uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The resource was deleted successfully */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    v1UsersAssetsSshGet: {
        parameters: {
            query?: {
                /**
                 * @description Filters can be combined with AND, OR operators with field path name. Eg: metadata.name=TestServiceANDspec.cloudType=aws
                 *
                 *     Server will be restricted to certain fields based on the indexed data for each resource.
                 */
                filters?: string;
                /** @description Specify the fields with sort order. 1 indicates ascending and -1 for descending. Eg: orderBy=metadata.name=1,metadata.uid=-1 */
                orderBy?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description (empty) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1UserAssetsSsh"];
                };
            };
        };
    };
    v1UserAssetsSshCreate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["v1UserAssetSshEntity"];
            };
        };
        responses: {
            /** @description Created successfully */
            201: {
                headers: {
                    /** @description Audit uid for the request */
                    AuditUid?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1Uid"];
                };
            };
        };
    };
    v1UsersAssetSshGetUid: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the SSH key uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description (empty) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["v1UserAssetSsh"];
                };
            };
        };
    };
    v1UsersAssetSshUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the SSH key uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["v1UserAssetSsh"];
            };
        };
        responses: {
            /** @description The resource was updated successfully */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    v1UsersAssetSshDelete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Specify the SSH key uid */
                uid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The resource was deleted successfully */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
