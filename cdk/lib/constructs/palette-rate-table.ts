import { RemovalPolicy, Validations, aws_dynamodb as dynamodb } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { RATE_TABLE_KEY } from '../../../lambdas/services/palette/rate-governor';

/**
 * The shared Palette rate table (lambdas/services/palette/rate-governor.ts): one item per Palette rate-limit prefix
 * holding the time its next request slot ends, so every Lambda container together stays within Palette's per-prefix
 * rate. On demand (a few writes per second at most), key `pk` (string). Its content is a schedule a few seconds long
 * that rebuilds itself from nothing: no point-in-time recovery, no retention, destroyed with the stack. The functions
 * that call Palette may UpdateItem it (cdk/lib/permissions.ts `paletteApiKey`), nothing else.
 */
export class PaletteRateTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: RATE_TABLE_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.table).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason: 'The Palette rate table holds only the next request slot per Palette endpoint prefix, seconds ahead; lost, it rebuilds itself on the next call. Nothing to recover.',
    });
  }
}
