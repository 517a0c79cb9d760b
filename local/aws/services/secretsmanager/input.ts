/**
 * Reading an AWS JSON 1.1 request body the way the Secrets Manager front end does:
 * - a body that is not a JSON object, or a member of the wrong JSON type -> SerializationException;
 * - model constraints (required, length, range, enum, pattern) -> one ValidationException listing
 *   every violation in Coral's "N validation errors detected: ..." form.
 * Sensitive members (secret values) are never echoed in a message.
 */
import { AwsError } from '../../core/errors';
import { parseJsonObject } from '../../core/protocol';

export type JsonObject = Record<string, unknown>;

export interface Tag {
  Key: string;
  Value: string;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function serializationError(detail: string): AwsError {
  return new AwsError('SerializationException', detail, 400);
}

/** The request's JSON object (core/protocol.ts parseJsonObject: SerializationException otherwise). */
export function parseJsonBody(body: Buffer): JsonObject {
  return parseJsonObject(body);
}

function jsonTypeName(v: unknown): string {
  if (v === null) return 'NULL_VALUE';
  if (Array.isArray(v)) return 'START_ARRAY';
  switch (typeof v) {
    case 'string':
      return 'VALUE_STRING';
    case 'number':
      return 'VALUE_NUMBER';
    case 'boolean':
      return 'VALUE_BOOLEAN';
    default:
      return 'START_OBJECT';
  }
}

/** Coral names members lowerCamelCase in validation messages: "Name" -> "name". */
function fieldPath(member: string, parent?: string): string {
  const own = member.charAt(0).toLowerCase() + member.slice(1);
  return parent ? `${parent}.${own}` : own;
}

interface StringRules {
  required?: boolean;
  min?: number;
  max?: number;
  /** Never echo the value (secret material). */
  sensitive?: boolean;
  pattern?: RegExp;
  enumValues?: readonly string[];
}

interface ListRules {
  required?: boolean;
  minItems?: number;
  maxItems?: number;
}

/** Typed, constraint-checked access to one JSON object of the request. */
export class Input {
  private readonly problems: string[];

  constructor(
    private readonly obj: JsonObject,
    private readonly parent?: string,
    problems?: string[],
  ) {
    this.problems = problems ?? [];
  }

  private value(member: string): unknown {
    const v = this.obj[member];
    return v === null ? undefined : v;
  }

  private describe(path: string, shown: string | undefined): string {
    return shown === undefined ? `Value at '${path}'` : `Value '${shown}' at '${path}'`;
  }

  private violation(path: string, shown: string | undefined, constraint: string): void {
    this.problems.push(`${this.describe(path, shown)} failed to satisfy constraint: ${constraint}`);
  }

  private missing(path: string): void {
    this.problems.push(`Value null at '${path}' failed to satisfy constraint: Member must not be null`);
  }

  private checkString(path: string, s: string, rules: StringRules): void {
    const shown = rules.sensitive ? undefined : s;
    if (rules.min !== undefined && s.length < rules.min) {
      this.violation(path, shown, `Member must have length greater than or equal to ${rules.min}`);
    }
    if (rules.max !== undefined && s.length > rules.max) {
      this.violation(path, shown, `Member must have length less than or equal to ${rules.max}`);
    }
    if (rules.enumValues && !rules.enumValues.includes(s)) {
      this.violation(path, shown, `Member must satisfy enum value set: [${rules.enumValues.join(', ')}]`);
    }
    if (rules.pattern && !rules.pattern.test(s)) {
      this.violation(path, shown, `Member must satisfy regular expression pattern: ${rules.pattern.source}`);
    }
  }

  string(member: string, rules: StringRules = {}): string | undefined {
    const path = fieldPath(member, this.parent);
    const v = this.value(member);
    if (v === undefined) {
      if (rules.required) this.missing(path);
      return undefined;
    }
    if (typeof v !== 'string') {
      throw serializationError(`${jsonTypeName(v)} can not be converted to a String (member ${member})`);
    }
    this.checkString(path, v, rules);
    return v;
  }

  boolean(member: string): boolean | undefined {
    const v = this.value(member);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') {
      throw serializationError(`${jsonTypeName(v)} can not be converted to a Boolean (member ${member})`);
    }
    return v;
  }

  integer(member: string, rules: { min?: number; max?: number } = {}): number | undefined {
    const path = fieldPath(member, this.parent);
    const v = this.value(member);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw serializationError(`${jsonTypeName(v)} can not be converted to an Integer (member ${member})`);
    }
    if (rules.min !== undefined && v < rules.min) {
      this.violation(path, String(v), `Member must have value greater than or equal to ${rules.min}`);
    }
    if (rules.max !== undefined && v > rules.max) {
      this.violation(path, String(v), `Member must have value less than or equal to ${rules.max}`);
    }
    return v;
  }

  /** A blob member: base64 text in JSON. Returned normalised; `max` applies to the decoded bytes. */
  blob(member: string, rules: { max?: number; sensitive?: boolean } = {}): string | undefined {
    const path = fieldPath(member, this.parent);
    const v = this.value(member);
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) {
      throw serializationError(`Member ${member} is not a valid base64 encoded blob.`);
    }
    const bytes = Buffer.from(v, 'base64');
    if (rules.max !== undefined && bytes.length > rules.max) {
      this.violation(path, rules.sensitive ? undefined : v, `Member must have length less than or equal to ${rules.max}`);
    }
    return bytes.toString('base64');
  }

  private list(member: string, rules: ListRules): unknown[] | undefined {
    const path = fieldPath(member, this.parent);
    const v = this.value(member);
    if (v === undefined) {
      if (rules.required) this.missing(path);
      return undefined;
    }
    if (!Array.isArray(v)) {
      throw serializationError(`${jsonTypeName(v)} can not be converted to a List (member ${member})`);
    }
    if (rules.minItems !== undefined && v.length < rules.minItems) {
      this.violation(path, undefined, `Member must have length greater than or equal to ${rules.minItems}`);
    }
    if (rules.maxItems !== undefined && v.length > rules.maxItems) {
      this.violation(path, undefined, `Member must have length less than or equal to ${rules.maxItems}`);
    }
    return v;
  }

  stringList(member: string, rules: ListRules & { item?: StringRules } = {}): string[] | undefined {
    const items = this.list(member, rules);
    if (items === undefined) return undefined;
    const path = fieldPath(member, this.parent);
    return items.map((item, i) => {
      if (typeof item !== 'string') {
        throw serializationError(`${jsonTypeName(item)} can not be converted to a String (member ${member})`);
      }
      if (rules.item) this.checkString(`${path}.${i + 1}.member`, item, rules.item);
      return item;
    });
  }

  /** A list of structures; `read` gets an Input scoped to each element. */
  structList<T>(member: string, rules: ListRules, read: (el: Input) => T): T[] | undefined {
    const items = this.list(member, rules);
    if (items === undefined) return undefined;
    const path = fieldPath(member, this.parent);
    return items.map((item, i) => {
      if (!isObject(item)) {
        throw serializationError(`${jsonTypeName(item)} can not be converted to a Structure (member ${member})`);
      }
      return read(new Input(item, `${path}.${i + 1}.member`, this.problems));
    });
  }

  /** Tag list as in the Secrets Manager model (key 1-128, value 0-256 characters). */
  tags(member: string, required = false): Tag[] | undefined {
    return this.structList(member, { required }, (el) => ({
      Key: el.string('Key', { required: true, min: 1, max: 128 }) ?? '',
      Value: el.string('Value', { max: 256 }) ?? '',
    }));
  }

  /** Throws the collected ValidationException, if any. */
  done(): void {
    const n = this.problems.length;
    if (n === 0) return;
    throw new AwsError(
      'ValidationException',
      `${n} validation error${n === 1 ? '' : 's'} detected: ${this.problems.join('; ')}`,
      400,
    );
  }
}
