/**
 * Reading a synthesized CloudFormation template the way CloudFormation would deploy it, for a local run:
 * resolve the intrinsics CDK emits (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split) against a
 * local "deployment" (partition, region, account = the sandbox's), find a state machine and its definition,
 * and describe each Lambda function (bundled asset, handler export, environment, timeout).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string | string[];
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
  Parameters?: Record<string, { Default?: unknown }>;
}

/** Where the template is "deployed" locally. */
export interface DeploymentTarget {
  stackName: string;
  partition: string;
  region: string;
  accountId: string;
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const URL_SUFFIX = 'amazonaws.com';

/**
 * CloudFormation's generated physical name: `<stack>-<logicalId>-<random>`, at most `max` characters. Locally the
 * random part is left out so names are stable between runs.
 */
function generatedName(target: DeploymentTarget, logicalId: string, max = 64): string {
  const name = `${target.stackName}-${logicalId}`;
  return name.length <= max ? name : name.slice(0, max);
}

function stringProp(resource: CfnResource, key: string, template: CfnTemplate, target: DeploymentTarget): string | undefined {
  const v = resource.Properties?.[key];
  if (v === undefined) return undefined;
  const resolved = resolveValue(v, template, target);
  return typeof resolved === 'string' ? resolved : undefined;
}

/** The physical name (or id) CloudFormation would give a resource. */
export function physicalName(template: CfnTemplate, logicalId: string, target: DeploymentTarget): string {
  const r = requireResource(template, logicalId);
  const named = (key: string, max = 64) => stringProp(r, key, template, target) ?? generatedName(target, logicalId, max);
  switch (r.Type) {
    case 'AWS::Lambda::Function':
      return named('FunctionName');
    case 'AWS::Events::EventBus':
      return named('Name');
    case 'AWS::StepFunctions::StateMachine':
      return named('StateMachineName', 80);
    case 'AWS::IAM::Role':
      return named('RoleName');
    case 'AWS::IAM::User':
      return named('UserName');
    case 'AWS::IAM::ManagedPolicy':
      return named('ManagedPolicyName', 128);
    case 'AWS::SQS::Queue':
      return named('QueueName', 80);
    case 'AWS::Logs::LogGroup':
      return named('LogGroupName', 512);
    case 'AWS::SecretsManager::Secret':
      return named('Name', 512);
    case 'AWS::S3::Bucket':
      return (stringProp(r, 'BucketName', template, target) ?? generatedName(target, logicalId, 63)).toLowerCase();
    default:
      return generatedName(target, logicalId);
  }
}

function requireResource(template: CfnTemplate, logicalId: string): CfnResource {
  const r = template.Resources[logicalId];
  if (!r) throw new TemplateError(`the template has no resource '${logicalId}'`);
  return r;
}

/** `Fn::GetAtt [logicalId, 'Arn']` as CloudFormation would return it. */
export function resourceArn(template: CfnTemplate, logicalId: string, target: DeploymentTarget): string {
  const r = requireResource(template, logicalId);
  const { partition: p, region: reg, accountId: a } = target;
  const name = physicalName(template, logicalId, target);
  const path = (key: string) => stringProp(r, key, template, target) ?? '/';
  switch (r.Type) {
    case 'AWS::Lambda::Function':
      return `arn:${p}:lambda:${reg}:${a}:function:${name}`;
    case 'AWS::Events::EventBus':
      return `arn:${p}:events:${reg}:${a}:event-bus/${name}`;
    case 'AWS::Events::Rule': {
      // A rule on a custom bus is `rule/<bus name>/<rule name>` (queue policies match it as aws:SourceArn).
      let bus = r.Properties?.EventBusName === undefined ? 'default' : String(resolveValue(r.Properties.EventBusName, template, target));
      if (bus.startsWith('arn:')) bus = bus.slice(bus.indexOf('event-bus/') + 'event-bus/'.length);
      return `arn:${p}:events:${reg}:${a}:rule/${bus === 'default' ? '' : `${bus}/`}${name}`;
    }
    case 'AWS::StepFunctions::StateMachine':
      return `arn:${p}:states:${reg}:${a}:stateMachine:${name}`;
    case 'AWS::IAM::Role':
      return `arn:${p}:iam::${a}:role${path('Path')}${name}`;
    case 'AWS::IAM::User':
      return `arn:${p}:iam::${a}:user${path('Path')}${name}`;
    case 'AWS::IAM::ManagedPolicy':
      return `arn:${p}:iam::${a}:policy${path('Path')}${name}`;
    case 'AWS::SQS::Queue':
      return `arn:${p}:sqs:${reg}:${a}:${name}`;
    case 'AWS::Logs::LogGroup':
      return `arn:${p}:logs:${reg}:${a}:log-group:${name}:*`;
    case 'AWS::SecretsManager::Secret':
      return `arn:${p}:secretsmanager:${reg}:${a}:secret:${name}-AbCdEf`;
    case 'AWS::S3::Bucket':
      return `arn:${p}:s3:::${name}`;
    case 'AWS::KMS::Key':
      return `arn:${p}:kms:${reg}:${a}:key/${name}`;
    default: {
      const [, service = 'unknown', kind = 'resource'] = r.Type.split('::');
      return `arn:${p}:${service.toLowerCase()}:${reg}:${a}:${kind.toLowerCase()}/${name}`;
    }
  }
}

/** `Ref logicalId` as CloudFormation would return it (depends on the resource type). */
function refOf(template: CfnTemplate, logicalId: string, target: DeploymentTarget): string {
  switch (logicalId) {
    case 'AWS::Partition':
      return target.partition;
    case 'AWS::Region':
      return target.region;
    case 'AWS::AccountId':
      return target.accountId;
    case 'AWS::URLSuffix':
      return URL_SUFFIX;
    case 'AWS::StackName':
      return target.stackName;
    case 'AWS::StackId':
      return `arn:${target.partition}:cloudformation:${target.region}:${target.accountId}:stack/${target.stackName}/00000000-0000-0000-0000-000000000000`;
    case 'AWS::NoValue':
      throw new TemplateError('Ref AWS::NoValue is only valid inside Fn::If, which the local runner does not support');
  }
  const param = template.Parameters?.[logicalId];
  if (param) {
    if (param.Default === undefined) throw new TemplateError(`parameter '${logicalId}' has no default`);
    return String(param.Default);
  }
  const r = requireResource(template, logicalId);
  switch (r.Type) {
    case 'AWS::StepFunctions::StateMachine':
    case 'AWS::SecretsManager::Secret':
    case 'AWS::IAM::ManagedPolicy':
      return resourceArn(template, logicalId, target);
    case 'AWS::SQS::Queue':
      return `https://sqs.${target.region}.${URL_SUFFIX}/${target.accountId}/${physicalName(template, logicalId, target)}`;
    default:
      return physicalName(template, logicalId, target);
  }
}

function getAtt(template: CfnTemplate, logicalId: string, attribute: string, target: DeploymentTarget): string {
  const r = requireResource(template, logicalId);
  if (attribute === 'Arn') return resourceArn(template, logicalId, target);
  if (attribute === 'Name' || attribute === 'QueueName' || attribute === 'RoleId' || attribute === 'StateMachineName') {
    return physicalName(template, logicalId, target);
  }
  if (r.Type === 'AWS::SQS::Queue' && attribute === 'QueueUrl') return refOf(template, logicalId, target);
  throw new TemplateError(`Fn::GetAtt ${logicalId}.${attribute} (${r.Type}) is not supported by the local runner`);
}

function substitute(text: string, vars: Record<string, unknown>, template: CfnTemplate, target: DeploymentTarget): string {
  return text.replace(/\$\{([^}]+)\}/g, (_, expr: string) => {
    if (expr.startsWith('!')) return `\${${expr.slice(1)}}`;
    if (expr in vars) return String(resolveValue(vars[expr], template, target));
    const dot = expr.indexOf('.');
    if (dot > 0 && !expr.startsWith('AWS::')) return getAtt(template, expr.slice(0, dot), expr.slice(dot + 1), target);
    return refOf(template, expr, target);
  });
}

/** Resolves every intrinsic function in `value` (deeply); throws TemplateError naming an unsupported one. */
export function resolveValue(value: unknown, template: CfnTemplate, target: DeploymentTarget): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, template, target));
  if (!isRecord(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [key] = keys as [string];
    const arg = value[key];
    if (key === 'Ref' && typeof arg === 'string') return refOf(template, arg, target);
    if (key === 'Fn::GetAtt') {
      const parts = typeof arg === 'string' ? arg.split('.') : arg;
      if (Array.isArray(parts) && parts.length === 2 && typeof parts[0] === 'string') {
        const attribute = resolveValue(parts[1], template, target);
        if (typeof attribute === 'string') return getAtt(template, parts[0], attribute, target);
      }
      throw new TemplateError(`malformed Fn::GetAtt ${JSON.stringify(arg)}`);
    }
    if (key === 'Fn::Join') {
      if (Array.isArray(arg) && typeof arg[0] === 'string' && Array.isArray(arg[1])) {
        const sep = arg[0];
        return (arg[1] as unknown[]).map((p) => String(resolveValue(p, template, target))).join(sep);
      }
      throw new TemplateError(`malformed Fn::Join ${JSON.stringify(arg)}`);
    }
    if (key === 'Fn::Sub') {
      if (typeof arg === 'string') return substitute(arg, {}, template, target);
      if (Array.isArray(arg) && typeof arg[0] === 'string' && (arg[1] === undefined || isRecord(arg[1]))) {
        return substitute(arg[0], isRecord(arg[1]) ? arg[1] : {}, template, target);
      }
      throw new TemplateError(`malformed Fn::Sub ${JSON.stringify(arg)}`);
    }
    if (key === 'Fn::Select') {
      if (Array.isArray(arg) && arg.length === 2) {
        const index = Number(resolveValue(arg[0], template, target));
        const list = resolveValue(arg[1], template, target);
        if (Array.isArray(list) && Number.isInteger(index) && index >= 0 && index < list.length) return list[index];
      }
      throw new TemplateError(`malformed Fn::Select ${JSON.stringify(arg)}`);
    }
    if (key === 'Fn::Split') {
      if (Array.isArray(arg) && typeof arg[0] === 'string') {
        const source = resolveValue(arg[1], template, target);
        if (typeof source === 'string') return source.split(arg[0]);
      }
      throw new TemplateError(`malformed Fn::Split ${JSON.stringify(arg)}`);
    }
    if (key.startsWith('Fn::') || key === 'Condition') {
      throw new TemplateError(`intrinsic ${key} is not supported by the local runner: ${JSON.stringify(value)}`);
    }
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, template, target)]));
}

// ---- state machines -------------------------------------------------------------------------------------

export interface StateMachineResource {
  logicalId: string;
  name: string;
  arn: string;
  /** The definition with every intrinsic resolved (parsed JSON). */
  definition: unknown;
  /** Definition-level placeholders (DefinitionSubstitutions) are applied. */
}

export function stateMachineLogicalIds(template: CfnTemplate): string[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
    .map(([id]) => id);
}

/**
 * The state machine whose logical id starts with `selector` (or whose StateMachineName equals it). With no
 * selector the template must hold exactly one.
 */
export function findStateMachine(template: CfnTemplate, selector: string | undefined, target: DeploymentTarget): StateMachineResource {
  const ids = stateMachineLogicalIds(template);
  let matches = ids;
  if (selector !== undefined) {
    matches = ids.filter((id) => id.startsWith(selector));
    if (matches.length === 0) {
      matches = ids.filter((id) => physicalName(template, id, target) === selector);
    }
  }
  if (matches.length !== 1) {
    const what = selector === undefined ? 'the template' : `logical-id prefix '${selector}'`;
    throw new TemplateError(
      `${matches.length === 0 ? 'no' : 'more than one'} state machine matches ${what}; state machines: ${ids.join(', ') || '(none)'}`,
    );
  }
  const logicalId = matches[0] as string;
  const r = requireResource(template, logicalId);
  const props = r.Properties ?? {};
  let text: unknown;
  if (props.DefinitionString !== undefined) text = resolveValue(props.DefinitionString, template, target);
  else if (props.Definition !== undefined) text = JSON.stringify(resolveValue(props.Definition, template, target));
  else if (props.DefinitionS3Location !== undefined) {
    throw new TemplateError(`state machine ${logicalId} keeps its definition in S3 (DefinitionS3Location); not supported locally`);
  }
  if (typeof text !== 'string') throw new TemplateError(`state machine ${logicalId} has no definition`);
  const subs = props.DefinitionSubstitutions;
  if (isRecord(subs)) {
    const resolved = resolveValue(subs, template, target) as Record<string, unknown>;
    text = (text as string).replace(/\$\{([^}]+)\}/g, (m, k: string) => (k in resolved ? String(resolved[k]) : m));
  }
  let definition: unknown;
  try {
    definition = JSON.parse(text as string);
  } catch (e) {
    throw new TemplateError(`state machine ${logicalId}: definition is not valid JSON after resolving intrinsics (${String(e)})`);
  }
  return { logicalId, name: physicalName(template, logicalId, target), arn: resourceArn(template, logicalId, target), definition };
}

// ---- Lambda functions -----------------------------------------------------------------------------------

export interface LocalFunction {
  logicalId: string;
  functionName: string;
  arn: string;
  /** Absolute path of the bundled module (asset directory + handler module, e.g. index.mjs). */
  entryFile: string;
  /** Exported handler name (`index.handler` -> `handler`). */
  exportName: string;
  /** Environment.Variables with intrinsics resolved. */
  environment: Record<string, string>;
  timeoutSeconds: number;
  memorySize: number;
  runtime: string | undefined;
  /** Repository-relative source (the `palette-onboarding:handler` metadata), when present. */
  source: string | undefined;
  /** Logical id of the stack's `AWS::IAM::Role` the function runs as (`Role: {Fn::GetAtt: [id, Arn]}`). */
  roleLogicalId?: string;
  /** The execution role's ARN as the local deployment names it. */
  roleArn?: string;
}

/** The logical id of the stack role a function's `Role` property points at (`Fn::GetAtt [id, Arn]`, or a `Ref`). */
export function functionRoleLogicalId(template: CfnTemplate, functionLogicalId: string): string | undefined {
  const role = template.Resources[functionLogicalId]?.Properties?.Role;
  if (!isRecord(role)) return undefined;
  const att = role['Fn::GetAtt'];
  const parts = typeof att === 'string' ? att.split('.') : att;
  const id = Array.isArray(parts) && parts.length === 2 && parts[1] === 'Arn' ? parts[0] : undefined;
  if (typeof id === 'string' && template.Resources[id]?.Type === 'AWS::IAM::Role') return id;
  return undefined;
}

export const ASSET_PATH_METADATA = 'aws:asset:path';
const HANDLER_SOURCE_METADATA = 'palette-onboarding:handler';
const MODULE_EXTENSIONS = ['.mjs', '.js', '.cjs'];

/** Describes a Lambda function of the template, with its bundled asset under `assemblyDir`. */
export function describeFunction(
  template: CfnTemplate,
  logicalId: string,
  assemblyDir: string,
  target: DeploymentTarget,
): LocalFunction {
  const r = requireResource(template, logicalId);
  if (r.Type !== 'AWS::Lambda::Function') throw new TemplateError(`${logicalId} is a ${r.Type}, not a Lambda function`);
  const props = r.Properties ?? {};
  const assetPath = r.Metadata?.[ASSET_PATH_METADATA];
  if (typeof assetPath !== 'string') {
    throw new TemplateError(
      `function ${logicalId} has no '${ASSET_PATH_METADATA}' metadata: synthesize with asset metadata on (context aws:cdk:enable-asset-metadata)`,
    );
  }
  const handler = typeof props.Handler === 'string' ? props.Handler : 'index.handler';
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) throw new TemplateError(`function ${logicalId}: malformed Handler '${handler}'`);
  const moduleBase = join(assemblyDir, assetPath, handler.slice(0, dot));
  const entryFile = MODULE_EXTENSIONS.map((ext) => `${moduleBase}${ext}`).find((f) => existsSync(f));
  if (!entryFile) {
    throw new TemplateError(
      `function ${logicalId}: no bundled module ${handler.slice(0, dot)}{${MODULE_EXTENSIONS.join(',')}} in ${join(assemblyDir, assetPath)} ` +
        '(was the app synthesized with bundling skipped?)',
    );
  }
  const env = resolveValue((props.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}, template, target);
  const environment: Record<string, string> = {};
  if (isRecord(env)) for (const [k, v] of Object.entries(env)) environment[k] = String(v);
  const source = r.Metadata?.[HANDLER_SOURCE_METADATA];
  const roleLogicalId = functionRoleLogicalId(template, logicalId);
  let roleArn: string | undefined;
  if (roleLogicalId !== undefined) roleArn = resourceArn(template, roleLogicalId, target);
  else if (typeof props.Role === 'string') roleArn = props.Role;
  return {
    logicalId,
    functionName: physicalName(template, logicalId, target),
    arn: resourceArn(template, logicalId, target),
    entryFile,
    exportName: handler.slice(dot + 1),
    environment,
    timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : 3,
    memorySize: typeof props.MemorySize === 'number' ? props.MemorySize : 128,
    runtime: typeof props.Runtime === 'string' ? props.Runtime : undefined,
    source: typeof source === 'string' ? source : undefined,
    ...(roleLogicalId !== undefined ? { roleLogicalId } : {}),
    ...(roleArn !== undefined ? { roleArn } : {}),
  };
}

/** Logical id of the Lambda function an ARN, a qualified ARN (`:alias`), or a name refers to. */
export function functionLogicalIdFor(template: CfnTemplate, arnOrName: string, target: DeploymentTarget): string | undefined {
  const m = /^arn:[^:]+:lambda:[^:]+:\d{12}:function:([^:]+)(?::[^:]+)?$/.exec(arnOrName);
  const name = m ? m[1] : arnOrName;
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type === 'AWS::Lambda::Function' && physicalName(template, id, target) === name) return id;
  }
  return undefined;
}
