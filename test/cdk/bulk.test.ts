/**
 * The Bulk state machine (cdk/lib/constructs/bulk-state-machine.ts): a Distributed Map over a manifest in the manifest
 * bucket running the onboarding as `.sync:2` child executions named per tenant and request, with bounded concurrency,
 * a tolerated-failure threshold and a ResultWriter; its role may start the onboarding state machine only, read
 * manifests/ and write results/ of its own bucket, nothing else in S3; the bucket is private, encrypted and TLS-only.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { asArray, renderResource, resolveIntrinsics, resourcesOfType, statementsOfRole, synthesize, type CfnResource, type IamStatement, type Synthesized } from './helpers';

const actions = (st: IamStatement) => asArray(st.Action);

let base: Synthesized;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed ASL document, inspected field by field
let def: { States: Record<string, any> };
let roleId: string;

beforeAll(() => {
  base = synthesize({ skipBundling: true });
  const [, sm] = resourcesOfType(base.json, 'AWS::StepFunctions::StateMachine').find(([id]) => id.startsWith('Bulk')) as [string, CfnResource];
  def = JSON.parse(resolveIntrinsics(sm.Properties?.DefinitionString, base.json)) as typeof def;
  roleId = ((sm.Properties?.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'])[0];
});

describe('Bulk state machine', () => {
  it('maps over a JSON Lines manifest or a folder of request files, bounded and with a tolerated-failure threshold, results to S3', () => {
    const lines = def.States.OnboardManifestLines;
    const files = def.States.OnboardManifestFiles;
    for (const map of [lines, files]) {
      expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
      expect(map.MaxConcurrencyPath).toBe('$.settings.maxConcurrency');
      expect(map.ToleratedFailurePercentagePath).toBe('$.settings.toleratedFailurePercentage');
      expect(map.ResultWriter.Parameters.Prefix).toBe('results');
    }
    expect(lines.ItemReader.ReaderConfig).toEqual({ InputType: 'JSONL' });
    expect(lines.ItemReader.Parameters['Key.$']).toBe('$.manifest.key');
    expect(files.ItemReader.Parameters['Prefix.$']).toBe('$.manifest.prefix');
    expect(def.States.Init.Parameters.defaults).toEqual({ maxConcurrency: 10, toleratedFailurePercentage: 0 });
  });

  it('starts each onboarding as a .sync:2 child named <tenantId>-<MD5 of the request>, without a parent id in its input; an existing name is "already-started"', () => {
    const states = def.States.OnboardManifestLines.ItemProcessor.States;
    expect(states.NameExecutionLine.Parameters['executionName.$']).toBe("States.Format('{}-{}', $.request.tenantId, States.Hash(States.JsonToString($.request), 'MD5'))");
    const start = states.StartOnboardingLine;
    expect(start.Resource).toMatch(/:states:::states:startExecution\.sync:2$/);
    expect(start.Parameters['Input.$']).toBe('$.request');
    expect(start.Parameters['Name.$']).toBe('$.executionName');
    expect(JSON.stringify(start.Parameters)).not.toContain('AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID');
    expect(start.Catch).toEqual([{ ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], ResultPath: '$.exists', Next: 'AlreadyStartedLine' }]);
    expect(states.AlreadyStartedLine.Parameters.outcome).toBe('already-started');
  });

  it('its role starts the onboarding state machine (and its own map items) only, reads manifests/ and writes results/ of its bucket only', () => {
    const statements = [...statementsOfRole(base.json, roleId)];
    const s3 = statements.filter((st) => actions(st).some((a) => a.startsWith('s3:')));
    const rendered = s3.map((st) => [actions(st).sort().join(','), ([] as unknown[]).concat(st.Resource).map(renderResource).join(',')]);
    expect(rendered).toEqual(
      expect.arrayContaining([
        ['s3:GetObject', '${BulkManifestBucket25315466.Arn}/manifests/*'],
        ['s3:AbortMultipartUpload,s3:GetObject,s3:ListMultipartUploadParts,s3:PutObject', '${BulkManifestBucket25315466.Arn}/results/*'],
        ['s3:ListBucket', '${BulkManifestBucket25315466.Arn}'],
      ]),
    );
    expect(new Set(rendered.map((r) => r.join(' '))).size).toBe(3);
    const list = s3.find((st) => actions(st).includes('s3:ListBucket'));
    expect(list?.Condition).toEqual({ StringLike: { 's3:prefix': ['manifests/*'] } });
    const starts = statements.filter((st) => actions(st).includes('states:StartExecution'));
    // The onboarding, and itself: a Distributed Map's items are child workflow executions of the Bulk machine.
    expect(starts.map((st) => renderResource(st.Resource)).sort()).toEqual(['${Bulk8B2676A1}', '${WorkflowF96E0FF2}']);
    expect(statements.flatMap(actions).filter((a) => a.startsWith('lambda:'))).toEqual([]);
  });

  it('the manifest bucket is private, encrypted, TLS-only and retained, and the stack outputs the machine and the bucket', () => {
    const [id, bucket] = resourcesOfType(base.json, 'AWS::S3::Bucket').find(([k]) => k.startsWith('BulkManifestBucket')) as [string, CfnResource];
    expect(bucket.Properties?.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(JSON.stringify(bucket.Properties?.BucketEncryption)).toContain('AES256');
    expect((bucket as { DeletionPolicy?: string }).DeletionPolicy).toBe('Retain');
    const [, policy] = resourcesOfType(base.json, 'AWS::S3::BucketPolicy').find(([, p]) => JSON.stringify(p.Properties?.Bucket).includes(id)) as [string, CfnResource];
    expect(JSON.stringify(policy.Properties?.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    expect(Object.keys(base.json.Outputs ?? {})).toEqual(expect.arrayContaining(['BulkStateMachineArn', 'BulkManifestBucketName']));
  });
});
