/**
 * Bulk onboarding (README "Bulk onboarding"): a Standard state machine whose Distributed Map reads a manifest from the
 * manifest bucket (a JSON Lines object, one onboarding request per line, or a folder of request files) and runs the
 * onboarding state machine once per request as a child execution (`states:startExecution.sync:2`), with bounded
 * concurrency and a tolerated-failure threshold; every child's outcome is written to S3 (ResultWriter) and the run
 * ends with a summary (the map run's item counts and where the results are).
 *
 * Child executions are named `<tenantId>-<MD5 of the request as JSON>`: a request in a second run of the same
 * manifest has the same name, so Step Functions refuses to start it again (`ExecutionAlreadyExists`, reported as
 * `already-started`), and a tenant's request never runs twice at once. Two different requests for one tenant are two
 * executions: the tenant's lease (AcquireTenant) lets one run and fails the other with TenantBusyError.
 */
import {
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
  aws_iam as iam,
  aws_logs as logs,
  aws_s3 as s3,
  aws_stepfunctions as sfn,
  aws_stepfunctions_tasks as tasks,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { stateRetry, workflowStateMachine } from './workflow-tasks';
import { SERVICE_INTEGRATION_RETRYABLE_ERRORS } from '../../../lambdas/shared/retryable-errors';

import { ALREADY_STARTED, BULK_DEFAULTS, BULK_MANIFEST_PREFIX, BULK_RESULTS_PREFIX, ONBOARDED } from '../../../lambdas/domain/bulk-manifest';

export { ALREADY_STARTED, BULK_DEFAULTS, BULK_MANIFEST_PREFIX, BULK_RESULTS_PREFIX } from '../../../lambdas/domain/bulk-manifest';
/** The Map states (one per manifest form). */
export const BULK_MAP_STATES = { jsonLines: 'OnboardManifestLines', folder: 'OnboardManifestFiles' } as const;

export interface BulkStateMachineProps {
  /** The onboarding state machine every manifest item runs. */
  readonly onboarding: sfn.IStateMachine;
  readonly logRetention: logs.RetentionDays;
  /** Whole-execution limit of a bulk run. Default 24 hours. */
  readonly executionTimeout?: Duration;
}

const BUCKET_ARN = (bucket: s3.IBucket, keyPattern: string) => `${bucket.bucketArn}/${keyPattern}`;

/** A JSON Lines manifest object (`s3:getObject`, ReaderConfig JSONL) under manifests/ only. */
class ManifestLinesReader implements sfn.IItemReader {
  readonly resource: string;
  constructor(
    scope: Construct,
    readonly bucket: s3.IBucket,
  ) {
    this.resource = `arn:${Stack.of(scope).partition}:states:::s3:getObject`;
  }
  render(): unknown {
    return { Resource: this.resource, ReaderConfig: { InputType: 'JSONL' }, Parameters: { Bucket: this.bucket.bucketName, 'Key.$': '$.manifest.key' } };
  }
  providePolicyStatements(): iam.PolicyStatement[] {
    return [new iam.PolicyStatement({ sid: 'ReadManifest', actions: ['s3:GetObject'], resources: [BUCKET_ARN(this.bucket, `${BULK_MANIFEST_PREFIX}*`)] })];
  }
  validateItemReader(): string[] {
    return [];
  }
}

/** A folder of request files (`s3:listObjectsV2` on a prefix under manifests/). */
class ManifestFolderReader implements sfn.IItemReader {
  readonly resource: string;
  constructor(
    scope: Construct,
    readonly bucket: s3.IBucket,
  ) {
    this.resource = `arn:${Stack.of(scope).partition}:states:::s3:listObjectsV2`;
  }
  render(): unknown {
    return { Resource: this.resource, Parameters: { Bucket: this.bucket.bucketName, 'Prefix.$': '$.manifest.prefix' } };
  }
  providePolicyStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        sid: 'ListManifestFolder',
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${BULK_MANIFEST_PREFIX}*`] } },
      }),
    ];
  }
  validateItemReader(): string[] {
    return [];
  }
}

/** ResultWriter to results/ only (CDK's own grant covers the whole bucket). */
class ResultsWriter extends sfn.ResultWriterV2 {
  override providePolicyStatements(): iam.PolicyStatement[] {
    const bucket = this.bucket as s3.IBucket;
    return [
      new iam.PolicyStatement({
        sid: 'WriteResults',
        actions: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
        resources: [BUCKET_ARN(bucket, `${BULK_RESULTS_PREFIX}/*`)],
      }),
    ];
  }
}

export class BulkStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  /** Manifests (`manifests/...`, written by the operator / the CLI) and results (`results/<map run id>/...`). */
  readonly manifestBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: BulkStateMachineProps) {
    super(scope, id);

    this.manifestBucket = new s3.Bucket(this, 'ManifestBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      lifecycleRules: [
        { prefix: `${BULK_RESULTS_PREFIX}/`, expiration: Duration.days(90) },
        { prefix: BULK_MANIFEST_PREFIX, expiration: Duration.days(90) },
        { abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.manifestBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Bulk manifests and results: written by the operator (CLI) and this state machine only, expired after 90 days; who wrote what is in CloudTrail (PutObject / StartExecution), a second logging bucket adds nothing here.',
    });

    // ---- the run: defaults merged with the input, then the manifest's form ------------------------------------
    const init = new sfn.Pass(this, 'Init', {
      parameters: { input: sfn.JsonPath.entirePayload, defaults: { ...BULK_DEFAULTS } },
    });
    const settings = new sfn.Pass(this, 'Settings', {
      parameters: {
        execution: { name: sfn.JsonPath.executionName, startTime: sfn.JsonPath.executionStartTime },
        manifest: sfn.JsonPath.objectAt('$.input.manifest'),
        settings: sfn.JsonPath.jsonMerge(sfn.JsonPath.objectAt('$.defaults'), sfn.JsonPath.objectAt('$.input')),
      },
    });
    const badInput = new sfn.Fail(this, 'InvalidBulkInput', {
      error: 'BulkInputError',
      cause: 'the input must be {"manifest": {"key": "manifests/<file>.jsonl"}} or {"manifest": {"prefix": "manifests/<folder>/"}}, with optional maxConcurrency and toleratedFailurePercentage',
    });

    // ---- one item: name the child execution, start it and wait for it ------------------------------------------
    const onboardItem = (suffix: string): sfn.IChainable => {
      const invalid = new sfn.Fail(this, `InvalidItem${suffix}`, {
        error: 'ManifestItemError',
        cause: 'the manifest item is not an onboarding request with a string tenantId',
      });
      const name = new sfn.Pass(this, `NameExecution${suffix}`, {
        parameters: {
          tenantId: sfn.JsonPath.stringAt('$.request.tenantId'),
          request: sfn.JsonPath.objectAt('$.request'),
          executionName: sfn.JsonPath.format('{}-{}', sfn.JsonPath.stringAt('$.request.tenantId'), sfn.JsonPath.hash(sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.request')), 'MD5')),
        },
      });
      const start = new tasks.StepFunctionsStartExecution(this, `StartOnboarding${suffix}`, {
        stateMachine: props.onboarding,
        integrationPattern: sfn.IntegrationPattern.RUN_JOB,
        name: sfn.JsonPath.stringAt('$.executionName'),
        input: sfn.TaskInput.fromJsonPathAt('$.request'),
        // The onboarding input is the request exactly (unknown keys are errors): no parent id added to it.
        associateWithParent: false,
        resultSelector: { executionArn: sfn.JsonPath.stringAt('$.ExecutionArn'), status: sfn.JsonPath.stringAt('$.Status') },
        resultPath: '$.child',
      }).addRetry(stateRetry(SERVICE_INTEGRATION_RETRYABLE_ERRORS));
      const onboarded = new sfn.Pass(this, `Onboarded${suffix}`, {
        parameters: {
          tenantId: sfn.JsonPath.stringAt('$.tenantId'),
          executionName: sfn.JsonPath.stringAt('$.executionName'),
          executionArn: sfn.JsonPath.stringAt('$.child.executionArn'),
          outcome: ONBOARDED,
        },
      });
      const already = new sfn.Pass(this, `AlreadyStarted${suffix}`, {
        parameters: { tenantId: sfn.JsonPath.stringAt('$.tenantId'), executionName: sfn.JsonPath.stringAt('$.executionName'), outcome: ALREADY_STARTED },
      });
      start.addCatch(already, { errors: ['StepFunctions.ExecutionAlreadyExistsException'], resultPath: '$.exists' });
      start.next(onboarded);
      return new sfn.Choice(this, `CheckItem${suffix}`).when(sfn.Condition.isString('$.request.tenantId'), name.next(start)).otherwise(invalid);
    };

    const resultWriterV2 = new ResultsWriter({ bucket: this.manifestBucket, prefix: BULK_RESULTS_PREFIX });
    const mapProps = {
      maxConcurrencyPath: sfn.JsonPath.stringAt('$.settings.maxConcurrency'),
      toleratedFailurePercentagePath: sfn.JsonPath.stringAt('$.settings.toleratedFailurePercentage'),
      mapExecutionType: sfn.StateMachineType.STANDARD,
      resultWriterV2,
      resultPath: '$.map',
    };
    const linesMap = new sfn.DistributedMap(this, BULK_MAP_STATES.jsonLines, {
      ...mapProps,
      label: 'Lines',
      itemReader: new ManifestLinesReader(this, this.manifestBucket),
      itemSelector: { request: sfn.JsonPath.objectAt('$$.Map.Item.Value') },
    });
    linesMap.itemProcessor(onboardItem('Line'));

    const readFile = new tasks.CallAwsService(this, 'ReadRequestFile', {
      service: 's3',
      action: 'getObject',
      parameters: { Bucket: this.manifestBucket.bucketName, Key: sfn.JsonPath.stringAt('$.key') },
      iamResources: [BUCKET_ARN(this.manifestBucket, `${BULK_MANIFEST_PREFIX}*`)],
      iamAction: 's3:GetObject',
      resultSelector: { request: sfn.JsonPath.stringToJson(sfn.JsonPath.stringAt('$.Body')) },
    }).addRetry(stateRetry(SERVICE_INTEGRATION_RETRYABLE_ERRORS));
    const folderMap = new sfn.DistributedMap(this, BULK_MAP_STATES.folder, {
      ...mapProps,
      label: 'Files',
      itemReader: new ManifestFolderReader(this, this.manifestBucket),
      itemSelector: { key: sfn.JsonPath.stringAt('$$.Map.Item.Value.Key') },
    });
    folderMap.itemProcessor(readFile.next(onboardItem('File')));

    // ---- the summary: the map run's counts and where its results are -------------------------------------------
    const describe = new tasks.CallAwsService(this, 'DescribeMapRun', {
      service: 'sfn',
      action: 'describeMapRun',
      parameters: { MapRunArn: sfn.JsonPath.stringAt('$.map.MapRunArn') },
      iamResources: [`arn:${Stack.of(this).partition}:states:${Stack.of(this).region}:${Stack.of(this).account}:mapRun:*`],
      resultSelector: { itemCounts: sfn.JsonPath.objectAt('$.ItemCounts'), status: sfn.JsonPath.stringAt('$.Status') },
      resultPath: '$.mapRun',
    }).addRetry(stateRetry(SERVICE_INTEGRATION_RETRYABLE_ERRORS));
    const summary = new sfn.Pass(this, 'BuildSummary', {
      parameters: {
        executionName: sfn.JsonPath.stringAt('$.execution.name'),
        manifest: sfn.JsonPath.objectAt('$.manifest'),
        maxConcurrency: sfn.JsonPath.numberAt('$.settings.maxConcurrency'),
        toleratedFailurePercentage: sfn.JsonPath.numberAt('$.settings.toleratedFailurePercentage'),
        mapRunArn: sfn.JsonPath.stringAt('$.map.MapRunArn'),
        itemCounts: sfn.JsonPath.objectAt('$.mapRun.itemCounts'),
        results: sfn.JsonPath.objectAt('$.map.ResultWriterDetails'),
      },
    });
    describe.next(summary).next(new sfn.Succeed(this, 'Done'));
    linesMap.next(describe);
    folderMap.next(describe);

    const form = new sfn.Choice(this, 'ManifestForm')
      .when(sfn.Condition.and(sfn.Condition.isPresent('$.manifest.key'), sfn.Condition.isString('$.manifest.key')), linesMap)
      .when(sfn.Condition.and(sfn.Condition.isPresent('$.manifest.prefix'), sfn.Condition.isString('$.manifest.prefix')), folderMap)
      .otherwise(badInput);
    const hasManifest = new sfn.Choice(this, 'HasManifest').when(sfn.Condition.isPresent('$.input.manifest'), settings.next(form)).otherwise(badInput);
    const definition = init.next(hasManifest);

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = workflowStateMachine(this, {
      name: 'bulk',
      definition,
      comment: 'palette-onboarding: onboard many tenants from a manifest in S3 (Distributed Map over the onboarding state machine)',
      logRetention: props.logRetention,
      timeout: props.executionTimeout ?? Duration.hours(24),
      invokes: [],
    }));
    this.acknowledgeWildcards(props.onboarding);
  }

  /** The wildcard grants a Distributed Map and a `.sync` child start need, each acknowledged for cdk-nag with why. */
  private acknowledgeWildcards(onboarding: sfn.IStateMachine): void {
    const stack = Stack.of(this);
    const role = this.stateMachine.role;
    const env = '<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>';
    const nameOf = (sm: sfn.IStateMachine) => `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stack.getLogicalId(sm.node.defaultChild as sfn.CfnStateMachine)}"}]}]}`;
    const bucket = `<${stack.getLogicalId(this.manifestBucket.node.defaultChild as s3.CfnBucket)}.Arn>`;
    const reasons: Record<string, string> = {
      [`Resource::${bucket}/${BULK_MANIFEST_PREFIX}*`]: 'The manifest (JSON Lines object or folder of request files) is named per run by the operator: s3:GetObject under manifests/ only.',
      [`Resource::${bucket}/${BULK_RESULTS_PREFIX}/*`]: 'ResultWriter writes results/<map run id>/... (the id is generated per run): writes under results/ only.',
      [`Resource::arn:${env}:mapRun:*`]: "states:DescribeMapRun (read-only) on this machine's map runs, whose ARNs are generated per run; naming this state machine in its own policy would be a dependency cycle.",
      [`Resource::arn:${env}:execution:${nameOf(onboarding)}*`]:
        'startExecution.sync:2: DescribeExecution / StopExecution of the onboarding executions it starts (named per tenant and request at run time).',
      [`Resource::arn:${env}:execution:${nameOf(this.stateMachine)}:*`]: 'Distributed Map: its child workflow executions, named by Step Functions at run time.',
      [`Resource::arn:${env}:execution:${nameOf(this.stateMachine)}/Files:*`]: 'Distributed Map (folder manifests): its child workflow executions, named by Step Functions at run time.',
      [`Resource::arn:${env}:execution:${nameOf(this.stateMachine)}/Lines:*`]: 'Distributed Map (JSON Lines manifests): its child workflow executions, named by Step Functions at run time.',
    };
    for (const [id, why] of Object.entries(reasons)) Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${id}]`, reason: why });
    Validations.of(this).acknowledge({ id: `AwsSolutions-IAM5[Resource::arn:${env}:execution:${nameOf(this.stateMachine)}:*]`, reason: 'Distributed Map: its child workflow executions, named by Step Functions at run time.' });
    for (const label of ['Files', 'Lines']) {
      Validations.of(this).acknowledge({ id: `AwsSolutions-IAM5[Resource::arn:${env}:execution:${nameOf(this.stateMachine)}/${label}:*]`, reason: 'Distributed Map: its child workflow executions, named by Step Functions at run time.' });
    }
  }
}
