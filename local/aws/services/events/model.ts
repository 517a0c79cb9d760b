/**
 * EventBridge resources as the sandbox keeps them (serialisable for snapshot/restore), their ARNs, and the request
 * shapes PutTargets accepts (validated as the EventBridge front end does).
 */
import { AwsError } from '../../core/errors';
import { Input, type JsonObject, type Tag } from '../secretsmanager/input';
import { JsonPathError, isPredefinedVariable, parseJsonPath, templateIsValidJson } from './transform';

export const DEFAULT_BUS = 'default';
export const RULE_STATES = ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'] as const;
export type RuleState = (typeof RULE_STATES)[number];

export const BUS_NAME_PATTERN = /^[/.\-_A-Za-z0-9]+$/;
export const BUS_NAME_OR_ARN_PATTERN = /^(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[/.\-_A-Za-z0-9]+$/;
export const RULE_NAME_PATTERN = /^[.\-_A-Za-z0-9]+$/;
const TARGET_ID_PATTERN = /^[.\-_A-Za-z0-9]+$/;
const BUS_ARN = /^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):event-bus\/(.+)$/;
const RULE_ARN = /^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):rule\/(?:([^/]+)\/)?([^/]+)$/;
const ANY_ARN = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;
const SQS_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:.+$/;
const VARIABLE_NAME = /^[A-Za-z0-9_-]+$/;

export interface Bus {
  accountId: string;
  region: string;
  name: string;
  arn: string;
  description?: string;
  kmsKeyIdentifier?: string;
  deadLetterArn?: string;
  /** Resource policy (JSON text), from PutPermission. */
  policy?: string;
  createdAt: number;
  modifiedAt: number;
  tags: Tag[];
}

export interface InputTransformer {
  InputPathsMap?: Record<string, string>;
  InputTemplate: string;
}

export interface Target {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: InputTransformer;
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  DeadLetterConfig?: { Arn?: string };
  SqsParameters?: { MessageGroupId?: string };
  /** Other target parameters (EcsParameters, HttpParameters, ...): kept and listed back, not used. */
  other?: JsonObject;
}

export interface Rule {
  accountId: string;
  region: string;
  busName: string;
  name: string;
  arn: string;
  eventPattern?: string;
  scheduleExpression?: string;
  state: RuleState;
  description?: string;
  roleArn?: string;
  /** The account that created the rule (CreatedBy). */
  createdBy: string;
  createdAt: number;
  tags: Tag[];
  targets: Target[];
}

export const busArn = (region: string, accountId: string, name: string): string => `arn:aws:events:${region}:${accountId}:event-bus/${name}`;
export const ruleArn = (region: string, accountId: string, busName: string, name: string): string =>
  busName === DEFAULT_BUS ? `arn:aws:events:${region}:${accountId}:rule/${name}` : `arn:aws:events:${region}:${accountId}:rule/${busName}/${name}`;

export function parseBusArn(arn: string): { region: string; accountId: string; name: string } | undefined {
  const m = BUS_ARN.exec(arn);
  return m ? { region: m[1] as string, accountId: m[2] as string, name: m[3] as string } : undefined;
}

export function parseRuleArn(arn: string): { region: string; accountId: string; busName: string; name: string } | undefined {
  const m = RULE_ARN.exec(arn);
  return m ? { region: m[1] as string, accountId: m[2] as string, busName: m[3] ?? DEFAULT_BUS, name: m[4] as string } : undefined;
}

export const validation = (message: string): AwsError => new AwsError('ValidationException', message, 400);

function serialization(message: string): AwsError {
  return new AwsError('SerializationException', message, 400);
}

/** A nested structure member, read with the parent's collected problems. */
export function nested(raw: JsonObject, member: string, path: string, problems: string[]): { input: Input; raw: JsonObject } | undefined {
  const v = raw[member];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw serialization(`${Array.isArray(v) ? 'START_ARRAY' : 'VALUE'} can not be converted to a Structure (member ${member})`);
  const obj = v as JsonObject;
  return { input: new Input(obj, `${path}.${member.charAt(0).toLowerCase()}${member.slice(1)}`, problems), raw: obj };
}

const KNOWN_TARGET_MEMBERS = new Set(['Id', 'Arn', 'RoleArn', 'Input', 'InputPath', 'InputTransformer', 'RetryPolicy', 'DeadLetterConfig', 'SqsParameters']);

/** One element of PutTargets' Targets (structure checks collect into `problems`; semantic ones throw). */
export function readTarget(el: Input, raw: JsonObject, path: string, problems: string[]): Target {
  const id = el.string('Id', { required: true, min: 1, max: 64, pattern: TARGET_ID_PATTERN }) ?? '';
  const arn = el.string('Arn', { required: true, min: 1, max: 1600 }) ?? '';
  const roleArn = el.string('RoleArn', { min: 1, max: 1600 });
  const input = el.string('Input', { max: 8192 });
  const inputPath = el.string('InputPath', { max: 256 });
  const target: Target = { Id: id, Arn: arn };
  if (roleArn !== undefined) target.RoleArn = roleArn;
  if (input !== undefined) target.Input = input;
  if (inputPath !== undefined) target.InputPath = inputPath;

  const transformer = nested(raw, 'InputTransformer', path, problems);
  if (transformer) {
    const template = transformer.input.string('InputTemplate', { required: true, min: 1, max: 8192 }) ?? '';
    const mapRaw = transformer.raw.InputPathsMap;
    let map: Record<string, string> | undefined;
    if (mapRaw !== undefined && mapRaw !== null) {
      if (typeof mapRaw !== 'object' || Array.isArray(mapRaw)) throw serialization('InputPathsMap must be a map of strings');
      map = {};
      for (const [k, v] of Object.entries(mapRaw as JsonObject)) {
        if (typeof v !== 'string') throw serialization(`InputPathsMap value for ${k} must be a string`);
        map[k] = v;
      }
    }
    target.InputTransformer = { InputTemplate: template, ...(map !== undefined ? { InputPathsMap: map } : {}) };
  }
  const retry = nested(raw, 'RetryPolicy', path, problems);
  if (retry) {
    const attempts = retry.input.integer('MaximumRetryAttempts', { min: 0, max: 185 });
    const age = retry.input.integer('MaximumEventAgeInSeconds', { min: 60, max: 86400 });
    target.RetryPolicy = {
      ...(attempts !== undefined ? { MaximumRetryAttempts: attempts } : {}),
      ...(age !== undefined ? { MaximumEventAgeInSeconds: age } : {}),
    };
  }
  const dlq = nested(raw, 'DeadLetterConfig', path, problems);
  if (dlq) {
    const dlqArn = dlq.input.string('Arn', { min: 1, max: 1600 });
    target.DeadLetterConfig = dlqArn !== undefined ? { Arn: dlqArn } : {};
  }
  const sqs = nested(raw, 'SqsParameters', path, problems);
  if (sqs) {
    const group = sqs.input.string('MessageGroupId');
    target.SqsParameters = group !== undefined ? { MessageGroupId: group } : {};
  }
  const other: JsonObject = {};
  for (const [k, v] of Object.entries(raw)) if (!KNOWN_TARGET_MEMBERS.has(k) && v !== null && v !== undefined) other[k] = v;
  if (Object.keys(other).length > 0) target.other = other;
  return target;
}

/** What PutTargets refuses once the request is well-formed. */
export function checkTarget(t: Target): void {
  if (!ANY_ARN.test(t.Arn)) throw validation('Provided Arn is not in correct format.');
  if (t.RoleArn !== undefined && !ROLE_ARN.test(t.RoleArn)) throw validation(`RoleArn is not valid for target ${t.Id}: it must be an IAM role ARN.`);
  const inputs = [t.Input, t.InputPath, t.InputTransformer].filter((x) => x !== undefined).length;
  if (inputs > 1) throw validation(`Only one of Input, InputPath, or InputTransformer can be provided for target ${t.Id}.`);
  if (t.Input !== undefined) {
    try {
      JSON.parse(t.Input);
    } catch {
      throw validation(`Input for target ${t.Id} is not valid JSON.`);
    }
  }
  if (t.InputPath !== undefined) {
    try {
      parseJsonPath(t.InputPath);
    } catch (e) {
      throw validation(`InputPath for target ${t.Id} is invalid: ${e instanceof JsonPathError ? e.message : String(e)}`);
    }
  }
  if (t.InputTransformer) {
    const map = t.InputTransformer.InputPathsMap ?? {};
    const names = Object.keys(map);
    if (names.length > 100) throw validation(`InputPathsMap for target ${t.Id} has more than 100 entries.`);
    for (const [name, path] of Object.entries(map)) {
      if (isPredefinedVariable(name)) throw validation(`InputTransformer for target ${t.Id} uses the reserved variable name ${name}.`);
      if (!VARIABLE_NAME.test(name)) throw validation(`InputPathsMap key ${name} for target ${t.Id} is not valid: it must match [A-Za-z0-9_-]+.`);
      try {
        parseJsonPath(path);
      } catch (e) {
        throw validation(`InputPathsMap value for ${name} of target ${t.Id} is invalid: ${e instanceof JsonPathError ? e.message : String(e)}`);
      }
    }
    if (!templateIsValidJson(t.InputTransformer.InputTemplate, names)) {
      throw validation(`InputTemplate for target ${t.Id} contains invalid JSON.`);
    }
  }
  const dlq = t.DeadLetterConfig?.Arn;
  if (dlq !== undefined && !SQS_ARN.test(dlq)) throw validation(`DeadLetterConfig.Arn of target ${t.Id} must be the ARN of an SQS queue.`);
}

/** The target as ListTargetsByRule returns it. */
export function renderTarget(t: Target): JsonObject {
  return {
    ...(t.other ?? {}),
    Id: t.Id,
    Arn: t.Arn,
    ...(t.RoleArn !== undefined ? { RoleArn: t.RoleArn } : {}),
    ...(t.Input !== undefined ? { Input: t.Input } : {}),
    ...(t.InputPath !== undefined ? { InputPath: t.InputPath } : {}),
    ...(t.InputTransformer !== undefined ? { InputTransformer: { ...t.InputTransformer } } : {}),
    ...(t.RetryPolicy !== undefined ? { RetryPolicy: { ...t.RetryPolicy } } : {}),
    ...(t.DeadLetterConfig !== undefined ? { DeadLetterConfig: { ...t.DeadLetterConfig } } : {}),
    ...(t.SqsParameters !== undefined ? { SqsParameters: { ...t.SqsParameters } } : {}),
  };
}

/** `rate(5 minutes)` / `cron(0 12 * * ? *)` as EventBridge accepts them (syntax only). */
export function validScheduleExpression(expr: string): boolean {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expr);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2] as string;
    return n >= 1 && (n === 1) === !unit.endsWith('s');
  }
  const cron = /^cron\(([^)]*)\)$/.exec(expr);
  if (!cron) return false;
  const fields = (cron[1] as string).trim().split(/\s+/);
  if (fields.length !== 6) return false;
  // Day-of-month and day-of-week: one of them must be '?'.
  return (fields[2] === '?') !== (fields[4] === '?');
}

/** ISO 8601 without milliseconds, as EventBridge writes an event's `time`. */
export const eventTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
