/**
 * Query-protocol (IAM, STS) input access with AWS's validation messages, e.g.
 * "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null".
 */
import { AwsError } from './errors';
import { memberList, queryParams, tagList } from './protocol';
import type { SandboxRequest } from './types';

export function validationError(message: string): AwsError {
  return new AwsError('ValidationError', message, 400);
}

const camel = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);
const oneError = (value: string | null, name: string, constraint: string): AwsError =>
  validationError(
    `1 validation error detected: Value ${value === null ? 'null' : `'${value}'`} at '${camel(name)}' failed to satisfy constraint: Member ${constraint}`,
  );

export interface StringRule {
  min?: number;
  max?: number;
  /** Regex source as AWS prints it in the message. */
  pattern?: string;
}

export class QueryInput {
  readonly params: URLSearchParams;

  constructor(req: SandboxRequest) {
    const ct = req.headers['content-type'];
    this.params = queryParams(req.method, req.query, req.body, typeof ct === 'string' ? ct : undefined);
  }

  get action(): string {
    return this.params.get('Action') ?? '';
  }

  optional(name: string, rule: StringRule = {}): string | undefined {
    const v = this.params.get(name);
    if (v === null) return undefined;
    if (rule.min !== undefined && v.length < rule.min) {
      throw oneError(v, name, `must have length greater than or equal to ${rule.min}`);
    }
    if (rule.max !== undefined && v.length > rule.max) {
      throw oneError(v, name, `must have length less than or equal to ${rule.max}`);
    }
    if (rule.pattern !== undefined && !new RegExp(`^(?:${rule.pattern})$`, 'u').test(v)) {
      throw oneError(v, name, `must satisfy regular expression pattern: ${rule.pattern}`);
    }
    return v;
  }

  required(name: string, rule: StringRule = {}): string {
    const v = this.optional(name, rule);
    if (v === undefined) throw oneError(null, name, 'must not be null');
    return v;
  }

  int(name: string, min: number, max: number): number | undefined {
    const v = this.params.get(name);
    if (v === null) return undefined;
    const n = Number(v);
    if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n)) throw validationError(`Invalid value '${v}' for parameter ${name}.`);
    if (n < min) throw oneError(v, name, `must have value greater than or equal to ${min}`);
    if (n > max) throw oneError(v, name, `must have value less than or equal to ${max}`);
    return n;
  }

  bool(name: string): boolean | undefined {
    const v = this.params.get(name);
    if (v === null) return undefined;
    if (v !== 'true' && v !== 'false') throw validationError(`Invalid value '${v}' for parameter ${name}.`);
    return v === 'true';
  }

  list(name: string): string[] {
    return memberList(this.params, name);
  }

  tags(name = 'Tags'): Array<{ Key: string; Value: string }> {
    return tagList(this.params, name);
  }
}
