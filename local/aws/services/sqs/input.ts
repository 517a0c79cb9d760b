/**
 * Reading an SQS JSON 1.0 request body: a member of the wrong JSON type is a SerializationException (as the JSON front
 * end answers), a missing required member is SQS's MissingParameter ("The request must contain the parameter X.").
 * Range and format rules are checked by the operations, with SQS's own codes and messages.
 */
import { missingParameter, serializationError } from './errors';
import { parseJsonObject } from '../../core/protocol';

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseBody(body: Buffer): JsonObject {
  return parseJsonObject(body, serializationError);
}

export class SqsInput {
  constructor(readonly obj: JsonObject) {}

  private value(member: string): unknown {
    const v = this.obj[member];
    return v === null ? undefined : v;
  }

  has(member: string): boolean {
    return this.value(member) !== undefined;
  }

  string(member: string): string | undefined {
    const v = this.value(member);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw serializationError(`Member ${member} must be a string.`);
    return v;
  }

  requiredString(member: string): string {
    const v = this.string(member);
    if (v === undefined) throw missingParameter(member);
    return v;
  }

  integer(member: string): number | undefined {
    const v = this.value(member);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw serializationError(`Member ${member} must be an integer.`);
    return v;
  }

  stringList(member: string): string[] | undefined {
    const v = this.value(member);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw serializationError(`Member ${member} must be a list of strings.`);
    return v as string[];
  }

  /** A string-to-string map (queue attributes, tags). */
  stringMap(member: string): Record<string, string> | undefined {
    const v = this.value(member);
    if (v === undefined) return undefined;
    if (!isObject(v) || Object.values(v).some((s) => typeof s !== 'string')) throw serializationError(`Member ${member} must be a map of strings.`);
    return { ...(v as Record<string, string>) };
  }

  /** A map of structures (message attributes). */
  objectMap(member: string): Record<string, JsonObject> | undefined {
    const v = this.value(member);
    if (v === undefined) return undefined;
    if (!isObject(v) || Object.values(v).some((s) => !isObject(s))) throw serializationError(`Member ${member} must be a map of structures.`);
    return { ...(v as Record<string, JsonObject>) };
  }

  /** A list of structures (batch entries). */
  objectList(member: string): SqsInput[] | undefined {
    const v = this.value(member);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((s) => !isObject(s))) throw serializationError(`Member ${member} must be a list of structures.`);
    return (v as JsonObject[]).map((o) => new SqsInput(o));
  }
}
