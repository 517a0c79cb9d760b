/**
 * Step Functions wire details shared by the service (./index.ts): ARNs, the name rules, definition checks, the
 * errors with AWS's codes and messages, paging tokens and the JSON rendering of history events.
 */
import { AwsError } from '../../core/errors';
import type { AuthzDecision, Principal } from '../../core/types';
import type { ExecutionHistoryEvent } from './engine';

export const TARGET_PREFIX = 'AWSStepFunctions.';
export const CONTENT_TYPE = 'application/x-amz-json-1.0';
/** Executions AWS keeps history for: the status of a finished STANDARD execution. */
export const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export const TERMINAL_EVENT_TYPES = new Set([
  'ExecutionStarted',
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionAborted',
  'ExecutionTimedOut',
  'ExecutionRedriven',
]);
/** Input and output limit of Step Functions (256 KiB of UTF-8). */
export const MAX_PAYLOAD_BYTES = 262_144;
export const MAX_TAGS = 50;
export const DEFAULT_PAGE = 100;

const STATE_TYPES = new Set(['Task', 'Pass', 'Choice', 'Wait', 'Succeed', 'Fail', 'Parallel', 'Map']);
/** Whitespace, brackets, wildcards, the special characters and control characters Step Functions forbids in names. */
const FORBIDDEN_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\u0021-\u007E]*\/)?[\w+=,.@-]{1,64}$/;
const STATE_MACHINE_ARN = /^arn:aws:states:([a-z0-9-]+):(\d{12}):stateMachine:([^:]+)$/;
const MAP_RUN_ARN = /^arn:aws:states:([a-z0-9-]+):(\d{12}):mapRun:([^:/]+)\/([^:]+):([^:]+)$/;
const EXECUTION_ARN = /^arn:aws:states:([a-z0-9-]+):(\d{12}):(execution|express):([^:]+):([^:]+)(?::([^:]+))?$/;

export const stateMachineArnOf = (region: string, accountId: string, name: string): string =>
  `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
export const executionArnOf = (region: string, accountId: string, machine: string, name: string): string =>
  `arn:aws:states:${region}:${accountId}:execution:${machine}:${name}`;
export const expressExecutionArnOf = (region: string, accountId: string, machine: string, name: string, id: string): string =>
  `arn:aws:states:${region}:${accountId}:express:${machine}:${name}:${id}`;

/** A map run: `arn:aws:states:<region>:<account>:mapRun:<machine>/<label>:<id>`. */
export const mapRunArnOf = (region: string, accountId: string, machine: string, label: string, id: string): string =>
  `arn:aws:states:${region}:${accountId}:mapRun:${machine}/${label}:${id}`;

export interface MapRunArn {
  arn: string;
  region: string;
  accountId: string;
  machine: string;
  label: string;
  id: string;
}

export interface StateMachineArn {
  arn: string;
  region: string;
  accountId: string;
  name: string;
}

export interface ExecutionArn {
  arn: string;
  region: string;
  accountId: string;
  machine: string;
  name: string;
  express: boolean;
}

function invalidArn(arn: string): AwsError {
  const prefix = /^arn:aws:states:/.test(arn) ? `Resource type not valid in this context: ${arn.split(':')[5] ?? ''}` : `Invalid ARN prefix: ${arn}`;
  return new AwsError('InvalidArn', `Invalid Arn: '${prefix}'`, 400);
}

export function parseStateMachineArn(arn: string): StateMachineArn {
  const m = STATE_MACHINE_ARN.exec(arn);
  if (!m) throw invalidArn(arn);
  return { arn, region: m[1] ?? '', accountId: m[2] ?? '', name: m[3] ?? '' };
}

export function parseExecutionArn(arn: string): ExecutionArn {
  const m = EXECUTION_ARN.exec(arn);
  const express = m?.[3] === 'express';
  // execution:<machine>:<name>; express:<machine>:<name>:<id>
  if (!m || (express ? m[6] === undefined : m[6] !== undefined)) throw invalidArn(arn);
  return { arn, region: m[1] ?? '', accountId: m[2] ?? '', machine: m[4] ?? '', name: m[5] ?? '', express };
}

export function parseMapRunArn(arn: string): MapRunArn {
  const m = MAP_RUN_ARN.exec(arn);
  if (!m) throw invalidArn(arn);
  return { arn, region: m[1] ?? '', accountId: m[2] ?? '', machine: m[3] ?? '', label: m[4] ?? '', id: m[5] ?? '' };
}

/** An IAM role ARN (a state machine's roleArn). */
export function isRoleArn(arn: string): boolean {
  return ROLE_ARN.test(arn);
}

/** Names of state machines and executions: 1-80 characters without the characters Step Functions forbids. */
export function checkName(name: string): void {
  if (name.length < 1 || name.length > 80 || FORBIDDEN_NAME_CHARS.test(name)) throw new AwsError('InvalidName', `Invalid Name: '${name}'`, 400);
}

/** A light Amazon States Language check: JSON, StartAt naming one of States, each state with a known Type. */
export function checkDefinition(definition: string): void {
  const bad = (why: string) => new AwsError('InvalidDefinition', `Invalid State Machine Definition: '${why}'`, 400);
  let parsed: unknown;
  try {
    parsed = JSON.parse(definition);
  } catch (e) {
    throw bad(`INVALID_JSON_DESCRIPTION: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isObject(parsed)) throw bad('SCHEMA_VALIDATION_FAILED: The definition must be a JSON object at /');
  const { StartAt, States } = parsed;
  if (typeof StartAt !== 'string') throw bad("SCHEMA_VALIDATION_FAILED: The field 'StartAt' is required but was missing at /");
  if (!isObject(States) || Object.keys(States).length === 0) {
    throw bad("SCHEMA_VALIDATION_FAILED: The field 'States' is required and must name at least one state at /");
  }
  if (!Object.hasOwn(States, StartAt)) throw bad(`MISSING_TRANSITION_TARGET: Missing 'Next' target: ${StartAt} at /StartAt`);
  for (const [name, state] of Object.entries(States)) {
    if (!isObject(state) || typeof state.Type !== 'string' || !STATE_TYPES.has(state.Type)) {
      throw bad(`SCHEMA_VALIDATION_FAILED: The value for the field 'Type' must be one of ${[...STATE_TYPES].join(', ')} at /States/${name}/Type`);
    }
    if (typeof state.Next === 'string' && !Object.hasOwn(States, state.Next)) {
      throw bad(`MISSING_TRANSITION_TARGET: Missing 'Next' target: ${state.Next} at /States/${name}/Next`);
    }
  }
}

/** Execution input: JSON text of at most 256 KiB. */
export function checkExecutionInput(input: string): void {
  const bad = (why: string) => new AwsError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${why}'`, 400);
  if (Buffer.byteLength(input, 'utf8') > MAX_PAYLOAD_BYTES) throw bad(`Input is larger than ${MAX_PAYLOAD_BYTES} bytes`);
  try {
    JSON.parse(input);
  } catch (e) {
    throw bad(e instanceof Error ? e.message : String(e));
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const stateMachineDoesNotExist = (arn: string): AwsError => new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`, 400);
export const executionDoesNotExist = (arn: string): AwsError => new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`, 400);
export const executionAlreadyExists = (arn: string): AwsError => new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`, 400);
export const mapRunDoesNotExist = (arn: string): AwsError => new AwsError('ResourceNotFound', `Map Run Does Not Exist: '${arn}'`, 400, 'Sender', { resourceName: arn });
export const stateMachineDeleting = (arn: string): AwsError => new AwsError('StateMachineDeleting', `State Machine is being deleted: '${arn}'`, 400);
export const typeNotSupported = (): AwsError =>
  new AwsError('StateMachineTypeNotSupported', 'This operation is not supported by EXPRESS state machines.', 400);

export function accessDenied(principal: Principal, action: string, resource: string, d: AuthzDecision): AwsError {
  const why = d.reason === 'ExplicitDeny' ? 'with an explicit deny' : `because no identity-based policy allows the ${action} action`;
  return new AwsError('AccessDeniedException', `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}`, 400);
}

/** Opaque paging token: base64url JSON of a cursor, bound to what it pages (`scope`). */
export function encodeToken(scope: string, cursor: string | number): string {
  return Buffer.from(JSON.stringify({ s: scope, c: cursor }), 'utf8').toString('base64url');
}

export function decodeToken(token: string, scope: string): string | number {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isObject(parsed) && parsed.s === scope && (typeof parsed.c === 'string' || typeof parsed.c === 'number')) return parsed.c;
  } catch {
    // fall through
  }
  throw new AwsError('InvalidToken', `Invalid Token: '${token}'`, 400);
}

/** Epoch seconds (with milliseconds) as the JSON protocols send timestamps. */
export const seconds = (ms: number): number => ms / 1000;

/** A history event in GetExecutionHistory's JSON shape. */
export function renderEvent(e: ExecutionHistoryEvent, includeData: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { timestamp: seconds(e.timestamp), type: e.type, id: e.id, previousEventId: e.previousEventId ?? 0 };
  for (const [key, value] of Object.entries(e)) {
    if (!key.endsWith('EventDetails') || !isObject(value)) continue;
    if (includeData) {
      out[key] = value;
    } else {
      const { input: _i, output: _o, ...rest } = value;
      out[key] = rest;
    }
  }
  return out;
}
