/**
 * Shared helpers for the CDK tests: synthesize the app in-process (as `npx cdk synth` does), and turn the
 * state machine's DefinitionString (an Fn::Join with ARNs) into a plain ASL object.
 */
import { createRequire } from 'node:module';
import { Template } from 'aws-cdk-lib/assertions';
import { createOnboardingApp, type InProcessAppOptions } from '../../cdk/lib/app';
import type { PaletteOnboardingStack } from '../../cdk/lib/stacks/palette-onboarding-stack';

export const PLACEHOLDER = { partition: 'aws', region: 'us-east-1', account: '123456789012' } as const;

export type { CfnResource, CfnTemplate } from '../../local/runner/template';
import type { CfnResource, CfnTemplate } from '../../local/runner/template';

export interface Synthesized {
  stack: PaletteOnboardingStack;
  template: Template;
  json: CfnTemplate;
  outdir: string;
}

/** Synthesize the onboarding app once (call from beforeAll; bundling 14 functions takes seconds). */
export function synthesize(options: InProcessAppOptions = {}): Synthesized {
  const { app, stack } = createOnboardingApp(options);
  const template = Template.fromStack(stack);
  const json = template.toJSON() as CfnTemplate;
  return { stack, template, json, outdir: app.outdir };
}

export function resourcesOfType(json: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type);
}

/** The onboarding bus (requests) and the notifications bus (results), by logical-id prefix. */
export function busOf(json: CfnTemplate, which: 'onboarding' | 'notifications'): [string, CfnResource] {
  const prefix = which === 'onboarding' ? 'TriggerBus' : 'NotificationsBus';
  const found = resourcesOfType(json, 'AWS::Events::EventBus').filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${which} bus, found ${found.length}`);
  return found[0] as [string, CfnResource];
}

/** The workflows' state machines, by the logical-id prefix of their construct. */
export type WorkflowName = 'onboarding' | 'offboarding' | 'revalidation' | 'bulk';
const STATE_MACHINE_PREFIX: Record<WorkflowName, string> = { onboarding: 'Workflow', offboarding: 'Offboarding', revalidation: 'Revalidation', bulk: 'Bulk' };

/** The onboarding (construct `Workflow`), offboarding (`Offboarding`), re-validation (`Revalidation`) or bulk (`Bulk`) state machine. */
export function stateMachineOf(json: CfnTemplate, which: WorkflowName = 'onboarding'): [string, CfnResource] {
  const prefix = STATE_MACHINE_PREFIX[which];
  const found = resourcesOfType(json, 'AWS::StepFunctions::StateMachine').filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${which} state machine, found ${found.length}`);
  return found[0] as [string, CfnResource];
}

export function onlyResourceOfType(json: CfnTemplate, type: string): [string, CfnResource] {
  const found = resourcesOfType(json, type);
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  const first = found[0];
  if (!first) throw new Error(`no ${type}`);
  return first;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** ARN a placeholder deployment would give a resource, from its logical id and type. */
function placeholderArn(json: CfnTemplate, logicalId: string): string {
  const { partition: p, region: r, account: a } = PLACEHOLDER;
  const type = json.Resources[logicalId]?.Type;
  switch (type) {
    case 'AWS::Lambda::Function':
      return `arn:${p}:lambda:${r}:${a}:function:${logicalId}`;
    case 'AWS::Events::EventBus':
      return `arn:${p}:events:${r}:${a}:event-bus/${logicalId}`;
    default:
      return `arn:${p}:placeholder:${r}:${a}:${logicalId}`;
  }
}

/** Resolve the intrinsics CDK puts into a DefinitionString to a string, with placeholder ARNs. */
export function resolveIntrinsics(value: unknown, json: CfnTemplate): string {
  if (typeof value === 'string') return value;
  if (isRecord(value)) {
    const join = value['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map((part: unknown) => resolveIntrinsics(part, json)).join(join[0]);
    }
    const ref = value.Ref;
    if (typeof ref === 'string') {
      if (ref === 'AWS::Partition') return PLACEHOLDER.partition;
      if (ref === 'AWS::Region') return PLACEHOLDER.region;
      if (ref === 'AWS::AccountId') return PLACEHOLDER.account;
      if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
      const resource = json.Resources[ref];
      // Ref of a bus is its name.
      if (resource?.Type === 'AWS::Events::EventBus') return String(resource.Properties?.Name ?? ref);
      return ref;
    }
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && getAtt[1] === 'Arn') {
      return placeholderArn(json, getAtt[0]);
    }
  }
  throw new Error(`unsupported intrinsic in DefinitionString: ${JSON.stringify(value)}`);
}

// ---- a minimal typing of the Amazon States Language parts the tests look at ----------------------------
export interface AslRetrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  JitterStrategy?: string;
}
export interface AslCatcher {
  ErrorEquals: string[];
  ResultPath?: string | null;
  Next: string;
}
export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  ResultPath?: string | null;
  ResultSelector?: Record<string, unknown>;
  OutputPath?: string;
  Result?: unknown;
  TimeoutSeconds?: number;
  SecondsPath?: string;
  ErrorPath?: string;
  CausePath?: string;
  Retry?: AslRetrier[];
  Catch?: AslCatcher[];
  Choices?: ({ Variable: string; Next: string } & Record<string, unknown>)[];
  Branches?: AslDefinition[];
  /** Map states. */
  ItemProcessor?: AslDefinition;
  ItemsPath?: string;
  ItemSelector?: Record<string, unknown>;
  MaxConcurrency?: number;
}
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  Comment?: string;
}

/** The state machine's definition (string with placeholder ARNs, and parsed). */
export function stateMachineDefinition(json: CfnTemplate, which: WorkflowName = 'onboarding'): { text: string; definition: AslDefinition } {
  const [, sm] = stateMachineOf(json, which);
  const text = resolveIntrinsics(sm.Properties?.DefinitionString, json);
  const definition: AslDefinition = JSON.parse(text);
  return { text, definition };
}

/** Every state, including those inside Parallel branches, by name. */
export function allStates(definition: AslDefinition): Map<string, AslState> {
  const out = new Map<string, AslState>();
  const walk = (d: AslDefinition) => {
    for (const [name, state] of Object.entries(d.States)) {
      out.set(name, state);
      for (const branch of state.Branches ?? []) walk(branch);
      if (state.ItemProcessor) walk(state.ItemProcessor);
    }
  };
  walk(definition);
  return out;
}

export function state(definition: AslDefinition, name: string): AslState {
  const s = allStates(definition).get(name);
  if (!s) throw new Error(`state ${name} not found`);
  return s;
}

// ---- asl-validator 4 (CommonJS, no type declarations) ---------------------------------------------------
interface AslValidationResult {
  isValid: boolean;
  errors: { message?: string }[];
  errorsText: (separator?: string) => string;
}
type AslValidator = (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => AslValidationResult;
const requireCjs = createRequire(import.meta.url);
/** asl-validator mutates its input: always pass a clone. */
export const validateAsl = (definition: AslDefinition): AslValidationResult => {
  const validator: AslValidator = requireCjs('asl-validator');
  return validator(structuredClone(definition));
};

/**
 * The workflow functions' logical ids by function name (the 'palette-onboarding:function' metadata: the handler's name,
 * or `ensure-<kind>` for the registration functions, which share the 'ensure-registration' handler).
 */
export function functionsByName(json: CfnTemplate): Map<string, [string, CfnResource]> {
  const out = new Map<string, [string, CfnResource]>();
  for (const [id, r] of resourcesOfType(json, 'AWS::Lambda::Function')) {
    const name = r.Metadata?.['palette-onboarding:function'];
    if (typeof name === 'string') out.set(name, [id, r]);
  }
  return out;
}

/** IAM policy statements attached to a role (inline AWS::IAM::Policy resources that list it). */
export interface IamStatement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
export const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function statementsOfRole(json: CfnTemplate, roleLogicalId: string): IamStatement[] {
  const out: IamStatement[] = [];
  for (const [, policy] of resourcesOfType(json, 'AWS::IAM::Policy')) {
    const roles = asArray(policy.Properties?.Roles as unknown[] | undefined);
    if (!roles.some((r) => isRecord(r) && r.Ref === roleLogicalId)) continue;
    const doc = policy.Properties?.PolicyDocument;
    if (isRecord(doc)) out.push(...asArray(doc.Statement as IamStatement[] | undefined));
  }
  return out;
}

export function allStatements(json: CfnTemplate): IamStatement[] {
  const out: IamStatement[] = [];
  for (const [, policy] of resourcesOfType(json, 'AWS::IAM::Policy')) {
    const doc = policy.Properties?.PolicyDocument;
    if (isRecord(doc)) out.push(...asArray(doc.Statement as IamStatement[] | undefined));
  }
  for (const [, role] of resourcesOfType(json, 'AWS::IAM::Role')) {
    for (const p of asArray(role.Properties?.Policies as unknown[] | undefined)) {
      if (isRecord(p) && isRecord(p.PolicyDocument)) out.push(...asArray(p.PolicyDocument.Statement as IamStatement[] | undefined));
    }
  }
  return out;
}

/** A resource value (string or intrinsic) rendered as a string with CloudFormation-style placeholders. */
export function renderResource(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isRecord(value)) {
    const join = value['Fn::Join'];
    if (Array.isArray(join) && Array.isArray(join[1])) return join[1].map(renderResource).join(String(join[0]));
    if (typeof value.Ref === 'string') return `\${${value.Ref}}`;
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `\${${getAtt.join('.')}}`;
  }
  return JSON.stringify(value);
}
