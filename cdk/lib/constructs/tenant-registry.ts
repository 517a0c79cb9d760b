import { RemovalPolicy, aws_dynamodb as dynamodb } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * The tenant registry: the system of record for tenants (lambdas/domain/tenant-record.ts). One DynamoDB table, key
 * `pk` (string), on demand, point-in-time recovery, deletion protection, encrypted with the AWS-managed KMS key,
 * and retained when the stack is deleted: losing it would orphan every tenant's resources.
 */
export class TenantRegistry extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
