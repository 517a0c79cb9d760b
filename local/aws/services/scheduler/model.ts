/**
 * Scheduler's resources as the sandbox keeps them, and the reading of CreateSchedule / UpdateSchedule input.
 */
import { ExpressionError, isValidTimeZone, parseExpression, type ScheduleExpression } from './expression';
import { Fields, validation, type JsonObject, type Tag } from './input';

export const NAME_PATTERN = /^[0-9a-zA-Z-_.]+$/;
export const ROLE_ARN_PATTERN = /^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const DLQ_ARN_PATTERN = /^arn:aws(-[a-z]+)?:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9\-_]+$/;
const KMS_ARN_PATTERN = /^arn:aws(-[a-z]+)?:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[0-9a-zA-Z-_]*$/;
const CLIENT_TOKEN_PATTERN = /^[a-zA-Z0-9-_]+$/;
const SOURCE_PATTERN = /^(?=[/.\-_A-Za-z0-9]+)((?!aws\.).*)|(\$(\.[\w_-]+(\[(\d+|\*)\])*)*)$/;
export const DEFAULT_GROUP = 'default';
export const DEFAULT_RETRY_ATTEMPTS = 185;
export const DEFAULT_EVENT_AGE_SECONDS = 86_400;

/** Templated-target parameter members the sandbox stores and echoes but does not act on. */
const OTHER_TARGET_PARAMETERS = ['EcsParameters', 'KinesisParameters', 'SageMakerPipelineParameters', 'EventBridgePutEventsV2Parameters', 'EventBridgePutRawEventsParameters'] as const;

export interface ScheduleTarget {
  Arn: string;
  RoleArn: string;
  Input?: string;
  RetryPolicy: { MaximumEventAgeInSeconds: number; MaximumRetryAttempts: number };
  DeadLetterConfig?: { Arn?: string };
  SqsParameters?: { MessageGroupId?: string };
  EventBridgeParameters?: { DetailType: string; Source: string };
  /** Other templated parameters (ECS, Kinesis, SageMaker, ...), as given. */
  other?: Record<string, JsonObject>;
}

export interface FlexibleTimeWindow {
  Mode: 'OFF' | 'FLEXIBLE';
  MaximumWindowInMinutes?: number;
}

/** What CreateSchedule and UpdateSchedule carry (UpdateSchedule replaces every field). */
export interface ScheduleSpec {
  groupName: string;
  expression: string;
  timezone?: string;
  startDate?: number;
  endDate?: number;
  description?: string;
  state: 'ENABLED' | 'DISABLED';
  kmsKeyArn?: string;
  flexibleTimeWindow: FlexibleTimeWindow;
  target: ScheduleTarget;
  actionAfterCompletion: 'NONE' | 'DELETE';
  clientToken?: string;
}

export interface Schedule extends ScheduleSpec {
  accountId: string;
  region: string;
  name: string;
  arn: string;
  creationDate: number;
  lastModificationDate: number;
  /** Rate schedules count from here: StartDate, else the creation / last update time (scheduler clock, ms). */
  anchor: number;
  /** The next occurrence on the scheduler clock; undefined once the schedule has none left. */
  nextFire?: number;
  /** Occurrences dispatched so far. */
  fired: number;
}

export interface ScheduleGroup {
  accountId: string;
  region: string;
  name: string;
  arn: string;
  creationDate: number;
  lastModificationDate: number;
  tags: Tag[];
  clientToken?: string;
}

export const scheduleArn = (region: string, accountId: string, group: string, name: string): string =>
  `arn:aws:scheduler:${region}:${accountId}:schedule/${group}/${name}`;
export const groupArn = (region: string, accountId: string, group: string): string => `arn:aws:scheduler:${region}:${accountId}:schedule-group/${group}`;

export function parseScheduleExpression(expression: string): ScheduleExpression {
  try {
    return parseExpression(expression);
  } catch (e) {
    if (e instanceof ExpressionError) throw validation(`Invalid Schedule Expression ${expression}.`);
    throw e;
  }
}

function readTarget(t: Fields): ScheduleTarget {
  const Arn = t.string('Arn', { required: true, min: 1, max: 1600 }) ?? '';
  const RoleArn = t.string('RoleArn', { required: true, min: 1, max: 1600, pattern: ROLE_ARN_PATTERN }) ?? '';
  const Input = t.string('Input', { min: 1 });
  const retry = t.struct('RetryPolicy');
  const age = retry?.integer('MaximumEventAgeInSeconds', { min: 60, max: 86_400 });
  const attempts = retry?.integer('MaximumRetryAttempts', { min: 0, max: 185 });
  const dlq = t.struct('DeadLetterConfig');
  const dlqArn = dlq?.string('Arn', { min: 1, max: 1600, pattern: DLQ_ARN_PATTERN });
  const sqs = t.struct('SqsParameters');
  const groupId = sqs?.string('MessageGroupId', { min: 1, max: 128 });
  const eb = t.struct('EventBridgeParameters');
  const detailType = eb?.string('DetailType', { required: true, min: 1, max: 128 });
  const source = eb?.string('Source', { required: true, min: 1, max: 256, pattern: SOURCE_PATTERN });
  const other: Record<string, JsonObject> = {};
  for (const member of OTHER_TARGET_PARAMETERS) {
    const v = t.json(member);
    if (v !== undefined) other[member] = v;
  }
  return {
    Arn,
    RoleArn,
    ...(Input !== undefined ? { Input } : {}),
    RetryPolicy: { MaximumEventAgeInSeconds: age ?? DEFAULT_EVENT_AGE_SECONDS, MaximumRetryAttempts: attempts ?? DEFAULT_RETRY_ATTEMPTS },
    ...(dlq ? { DeadLetterConfig: dlqArn !== undefined ? { Arn: dlqArn } : {} } : {}),
    ...(sqs ? { SqsParameters: groupId !== undefined ? { MessageGroupId: groupId } : {} } : {}),
    ...(eb ? { EventBridgeParameters: { DetailType: detailType ?? '', Source: source ?? '' } } : {}),
    ...(Object.keys(other).length > 0 ? { other } : {}),
  };
}

/** Reads and checks a CreateSchedule / UpdateSchedule body (`name` comes from the path). */
export function readScheduleSpec(name: string, input: Fields, now: number, creating: boolean): ScheduleSpec {
  input.checkString('name', name, { min: 1, max: 64, pattern: NAME_PATTERN });
  const expression = input.string('ScheduleExpression', { required: true, min: 1, max: 256 }) ?? '';
  const targetFields = input.struct('Target', true);
  const target = targetFields ? readTarget(targetFields) : undefined;
  const window = input.struct('FlexibleTimeWindow', true);
  const mode = window?.string('Mode', { required: true, enumValues: ['OFF', 'FLEXIBLE'] });
  const maxWindow = window?.integer('MaximumWindowInMinutes', { min: 1, max: 1440 });
  const groupName = input.string('GroupName', { min: 1, max: 64, pattern: NAME_PATTERN }) ?? DEFAULT_GROUP;
  const startDate = input.timestamp('StartDate');
  const endDate = input.timestamp('EndDate');
  const description = input.string('Description', { max: 512 });
  const timezone = input.string('ScheduleExpressionTimezone', { min: 1, max: 50 });
  const state = (input.string('State', { enumValues: ['ENABLED', 'DISABLED'] }) ?? 'ENABLED') as ScheduleSpec['state'];
  const kmsKeyArn = input.string('KmsKeyArn', { min: 1, max: 2048, pattern: KMS_ARN_PATTERN });
  const clientToken = input.string('ClientToken', { min: 1, max: 64, pattern: CLIENT_TOKEN_PATTERN });
  const action = (input.string('ActionAfterCompletion', { enumValues: ['NONE', 'DELETE'] }) ?? 'NONE') as ScheduleSpec['actionAfterCompletion'];
  input.done();
  if (target === undefined || mode === undefined) throw validation('Target and FlexibleTimeWindow are required.');

  const parsed = parseScheduleExpression(expression);
  if (timezone !== undefined && !isValidTimeZone(timezone)) throw validation(`Invalid ScheduleExpressionTimezone ${timezone}.`);
  if (mode === 'FLEXIBLE' && maxWindow === undefined) throw validation('MaximumWindowInMinutes is required when FlexibleTimeWindow Mode is FLEXIBLE.');
  if (mode === 'OFF' && maxWindow !== undefined) throw validation('MaximumWindowInMinutes must not be set when FlexibleTimeWindow Mode is OFF.');
  if (parsed.kind !== 'at') {
    if (creating && startDate !== undefined && startDate < now - 5 * 60_000) {
      throw validation('The StartDate you specify cannot be earlier than 5 minutes prior to the current time.');
    }
    if (endDate !== undefined && endDate <= now) throw validation('The EndDate you specify cannot be earlier than the current time.');
    if (startDate !== undefined && endDate !== undefined && endDate <= startDate) throw validation('The EndDate you specify cannot be earlier than the StartDate.');
  }
  if (target.EventBridgeParameters && !/^arn:aws[a-z-]*:events:/.test(target.Arn)) {
    throw validation('EventBridgeParameters can only be used with an Amazon EventBridge event bus target.');
  }
  if (target.SqsParameters && !/^arn:aws[a-z-]*:sqs:/.test(target.Arn)) throw validation('SqsParameters can only be used with an Amazon SQS queue target.');
  return {
    groupName,
    expression,
    ...(timezone !== undefined ? { timezone } : {}),
    ...(startDate !== undefined ? { startDate } : {}),
    ...(endDate !== undefined ? { endDate } : {}),
    ...(description !== undefined ? { description } : {}),
    state,
    ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}),
    flexibleTimeWindow: { Mode: mode === 'FLEXIBLE' ? 'FLEXIBLE' : 'OFF', ...(maxWindow !== undefined ? { MaximumWindowInMinutes: maxWindow } : {}) },
    target,
    actionAfterCompletion: action,
    ...(clientToken !== undefined ? { clientToken } : {}),
  };
}

/** The Target as GetSchedule returns it. */
export function renderTarget(t: ScheduleTarget): JsonObject {
  return {
    Arn: t.Arn,
    RoleArn: t.RoleArn,
    ...(t.Input !== undefined ? { Input: t.Input } : {}),
    RetryPolicy: { ...t.RetryPolicy },
    ...(t.DeadLetterConfig ? { DeadLetterConfig: { ...t.DeadLetterConfig } } : {}),
    ...(t.SqsParameters ? { SqsParameters: { ...t.SqsParameters } } : {}),
    ...(t.EventBridgeParameters ? { EventBridgeParameters: { ...t.EventBridgeParameters } } : {}),
    ...(t.other ?? {}),
  };
}
