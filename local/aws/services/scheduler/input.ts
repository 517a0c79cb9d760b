/**
 * Reading Scheduler's REST-JSON request bodies and query strings with the model's constraints. Constraint violations
 * are collected into one ValidationException in the service front end's form ("1 validation error detected: Value null
 * at 'target.roleArn' failed to satisfy constraint: Member must not be null"); a member of the wrong JSON type is a
 * ValidationException naming it at once.
 */
import { AwsError } from '../../core/errors';
import { parseJsonObject } from '../../core/protocol';

export type JsonObject = Record<string, unknown>;

export interface Tag {
  Key: string;
  Value: string;
}

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export function validation(message: string): AwsError {
  return new AwsError('ValidationException', message, 400);
}

export function parseBody(body: Buffer): JsonObject {
  return parseJsonObject(body, validation);
}

interface StringRules {
  required?: boolean;
  min?: number;
  max?: number;
  pattern?: RegExp;
  enumValues?: readonly string[];
}

/** Coral names members lowerCamelCase: "RoleArn" -> "roleArn". */
const camel = (member: string): string => member.charAt(0).toLowerCase() + member.slice(1);

export class Fields {
  readonly problems: string[];

  constructor(
    private readonly obj: JsonObject,
    private readonly parent?: string,
    problems?: string[],
  ) {
    this.problems = problems ?? [];
  }

  private path(member: string): string {
    return this.parent === undefined ? camel(member) : `${this.parent}.${camel(member)}`;
  }

  private get(member: string): unknown {
    const v = this.obj[member];
    return v === null ? undefined : v;
  }

  private violation(path: string, shown: string | undefined, constraint: string): void {
    this.problems.push(`${shown === undefined ? 'Value' : `Value '${shown}'`} at '${path}' failed to satisfy constraint: ${constraint}`);
  }

  private missing(path: string): void {
    this.problems.push(`Value null at '${path}' failed to satisfy constraint: Member must not be null`);
  }

  checkString(path: string, s: string, rules: StringRules): void {
    if (rules.min !== undefined && s.length < rules.min) this.violation(path, s, `Member must have length greater than or equal to ${rules.min}`);
    if (rules.max !== undefined && s.length > rules.max) this.violation(path, s.length > 256 ? undefined : s, `Member must have length less than or equal to ${rules.max}`);
    if (rules.enumValues && !rules.enumValues.includes(s)) this.violation(path, s, `Member must satisfy enum value set: [${rules.enumValues.join(', ')}]`);
    if (rules.pattern && !rules.pattern.test(s)) this.violation(path, s, `Member must satisfy regular expression pattern: ${rules.pattern.source}`);
  }

  string(member: string, rules: StringRules = {}): string | undefined {
    const path = this.path(member);
    const v = this.get(member);
    if (v === undefined) {
      if (rules.required) this.missing(path);
      return undefined;
    }
    if (typeof v !== 'string') throw validation(`${path} must be a string`);
    this.checkString(path, v, rules);
    return v;
  }

  integer(member: string, rules: { min?: number; max?: number } = {}): number | undefined {
    const path = this.path(member);
    const v = this.get(member);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw validation(`${path} must be an integer`);
    if (rules.min !== undefined && v < rules.min) this.violation(path, String(v), `Member must have value greater than or equal to ${rules.min}`);
    if (rules.max !== undefined && v > rules.max) this.violation(path, String(v), `Member must have value less than or equal to ${rules.max}`);
    return v;
  }

  /** A timestamp: epoch seconds (what the SDK and botocore send for rest-json) or an ISO 8601 string. Epoch ms. */
  timestamp(member: string): number | undefined {
    const v = this.get(member);
    if (v === undefined) return undefined;
    const ms = typeof v === 'number' ? v * 1000 : typeof v === 'string' ? Date.parse(v) : NaN;
    if (!Number.isFinite(ms)) throw validation(`${this.path(member)} must be a timestamp`);
    return Math.round(ms);
  }

  /** A nested structure, read with the same problem list. */
  struct(member: string, required = false): Fields | undefined {
    const path = this.path(member);
    const v = this.get(member);
    if (v === undefined) {
      if (required) this.missing(path);
      return undefined;
    }
    if (!isObject(v)) throw validation(`${path} must be a structure`);
    return new Fields(v, path, this.problems);
  }

  /** A member kept as the JSON the caller sent (templated-target parameters the sandbox only stores). */
  json(member: string): JsonObject | undefined {
    const v = this.get(member);
    if (v === undefined) return undefined;
    if (!isObject(v)) throw validation(`${this.path(member)} must be a structure`);
    return v;
  }

  /** Scheduler's tag list (max 200; key 1-128, value 1-256). */
  tags(member: string, required = false): Tag[] | undefined {
    const path = this.path(member);
    const v = this.get(member);
    if (v === undefined) {
      if (required) this.missing(path);
      return undefined;
    }
    if (!Array.isArray(v)) throw validation(`${path} must be a list`);
    if (v.length > 200) this.violation(path, undefined, 'Member must have length less than or equal to 200');
    return v.map((item, i) => {
      if (!isObject(item)) throw validation(`${path}.${i + 1}.member must be a structure`);
      const el = new Fields(item, `${path}.${i + 1}.member`, this.problems);
      return { Key: el.string('Key', { required: true, min: 1, max: 128 }) ?? '', Value: el.string('Value', { required: true, min: 1, max: 256 }) ?? '' };
    });
  }

  /** Throws the collected ValidationException, if any. */
  done(): void {
    const n = this.problems.length;
    if (n === 0) return;
    throw validation(`${n} validation error${n === 1 ? '' : 's'} detected: ${this.problems.join('; ')}`);
  }
}
