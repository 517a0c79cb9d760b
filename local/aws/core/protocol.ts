/**
 * Wire-format helpers shared by the core and the query-protocol services (IAM, STS):
 * XML escaping/building, AWS-style dates and error rendering for each protocol.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AwsError } from './errors';
import type { Protocol, SandboxResponse, ServiceName } from './types';

export const QUERY_NAMESPACES: Partial<Record<ServiceName, string>> = {
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  cloudformation: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
};

export const PROTOCOLS: Record<ServiceName, Protocol> = {
  iam: 'query',
  sts: 'query',
  s3: 'rest-xml',
  secretsmanager: 'json',
  dynamodb: 'json-1.0',
  organizations: 'json',
  ssm: 'json',
  sqs: 'json-1.0',
  events: 'json',
  scheduler: 'rest-json',
  states: 'json-1.0',
  cloudformation: 'query',
};

/** AWS JSON 1.0 services qualify error types with their Smithy namespace: `<namespace>#<Code>`. */
export const JSON10_ERROR_NAMESPACES: Partial<Record<ServiceName, string>> = {
  dynamodb: 'com.amazonaws.dynamodb.v20120810',
  sqs: 'com.amazonaws.sqs',
};

/**
 * awsQueryCompatible JSON 1.0 services (SQS, once a query-protocol service) also name every error by its query-protocol
 * code in `x-amzn-query-error: <code>;<Sender|Receiver>`; the SDKs report that code (SDK v3 picks the modelled class by
 * it, botocore uses it as the error code). Codes not listed are their own query code.
 */
export const JSON10_QUERY_ERROR_CODES: Partial<Record<ServiceName, Record<string, string>>> = {
  sqs: {
    AccessDeniedException: 'AccessDenied',
    QueueDoesNotExist: 'AWS.SimpleQueueService.NonExistentQueue',
    QueueNameExists: 'QueueAlreadyExists',
    QueueDeletedRecently: 'AWS.SimpleQueueService.QueueDeletedRecently',
    PurgeQueueInProgress: 'AWS.SimpleQueueService.PurgeQueueInProgress',
    MessageNotInflight: 'AWS.SimpleQueueService.MessageNotInflight',
    BatchEntryIdsNotDistinct: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
    BatchRequestTooLong: 'AWS.SimpleQueueService.BatchRequestTooLong',
    EmptyBatchRequest: 'AWS.SimpleQueueService.EmptyBatchRequest',
    InvalidBatchEntryId: 'AWS.SimpleQueueService.InvalidBatchEntryId',
    TooManyEntriesInBatchRequest: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
    UnsupportedOperation: 'AWS.SimpleQueueService.UnsupportedOperation',
  },
};

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"'\r]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : c === "'" ? '&apos;' : '&#13;',
  );
}

/** A pre-rendered XML fragment (children are escaped when they are plain strings). */
export type XmlChild = string | number | boolean | Xml | undefined | null | XmlChild[];
export class Xml {
  constructor(readonly text: string) {}
}

/** `<name>children</name>`; undefined/null children are omitted, so an all-undefined element renders empty. */
export function el(name: string, ...children: XmlChild[]): Xml {
  return new Xml(`<${name}>${render(children)}</${name}>`);
}

/** Omits the element entirely when value is undefined. */
export function opt(name: string, value: XmlChild): Xml | undefined {
  return value === undefined || value === null ? undefined : el(name, value);
}

/** `<name><member>..</member>...</name>` (query-protocol lists). */
export function members<T>(name: string, items: readonly T[], each: (item: T) => XmlChild): Xml {
  return el(name, items.map((i) => el('member', each(i))));
}

function render(children: XmlChild[]): string {
  let out = '';
  for (const c of children) {
    if (c === undefined || c === null) continue;
    if (c instanceof Xml) out += c.text;
    else if (Array.isArray(c)) out += render(c);
    else out += xmlEscape(String(c));
  }
  return out;
}

/** IAM/STS timestamps: ISO 8601 in UTC without milliseconds. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `<{Action}Response xmlns=..><{Action}Result>..</{Action}Result><ResponseMetadata>..</ResponseMetadata></..>` */
export function queryResponse(service: ServiceName, action: string, requestId: string, result?: XmlChild[]): SandboxResponse {
  const ns = QUERY_NAMESPACES[service] ?? '';
  const resultXml = result === undefined ? '' : el(`${action}Result`, result).text;
  const body =
    `<${action}Response xmlns="${ns}">` +
    resultXml +
    el('ResponseMetadata', el('RequestId', requestId)).text +
    `</${action}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml' }, body };
}

export function newRequestId(service: ServiceName): string {
  return service === 's3' ? randomBytes(8).toString('hex').toUpperCase() : randomUUID();
}

export function newHostId(): string {
  return randomBytes(48).toString('base64');
}

/** Renders an AwsError in the protocol of `service`. HEAD responses carry no body (S3). */
export function renderError(service: ServiceName, err: AwsError, requestId: string, method: string, hostId = newHostId()): SandboxResponse {
  switch (PROTOCOLS[service]) {
    case 'query': {
      const ns = QUERY_NAMESPACES[service] ?? '';
      const body =
        `<ErrorResponse xmlns="${ns}">` +
        el('Error', el('Type', err.fault), el('Code', err.code), el('Message', err.message)).text +
        el('RequestId', requestId).text +
        `</ErrorResponse>`;
      return { status: err.status, headers: { 'content-type': 'text/xml' }, body };
    }
    case 'rest-xml': {
      const extra = Object.entries(err.extra).map(([k, v]) => el(k, v));
      const body =
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        el('Error', el('Code', err.code), el('Message', err.message), extra, el('RequestId', requestId), el('HostId', hostId)).text;
      return {
        status: err.status,
        headers: { 'content-type': 'application/xml', 'x-amz-id-2': hostId },
        ...(method === 'HEAD' ? {} : { body }),
      };
    }
    case 'json': {
      const body = JSON.stringify({ __type: err.code, message: err.message, ...err.extra });
      return {
        status: err.status,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': err.code },
        body,
      };
    }
    case 'rest-json': {
      const body = JSON.stringify({ Message: err.message, ...err.extra });
      return { status: err.status, headers: { 'content-type': 'application/json', 'x-amzn-errortype': err.code }, body };
    }
    case 'json-1.0': {
      const ns = JSON10_ERROR_NAMESPACES[service];
      const body = JSON.stringify({ __type: ns === undefined ? err.code : `${ns}#${err.code}`, message: err.message, ...err.extra });
      const queryCodes = JSON10_QUERY_ERROR_CODES[service];
      const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.0' };
      if (queryCodes !== undefined) headers['x-amzn-query-error'] = `${queryCodes[err.code] ?? err.code};${err.fault}`;
      return { status: err.status, headers, body };
    }
  }
}

/** Query-protocol parameters: form body for POST, query string otherwise (both merged, body wins). */
export function queryParams(method: string, query: URLSearchParams, body: Buffer, contentType: string | undefined): URLSearchParams {
  const params = new URLSearchParams(query);
  if (method === 'POST' && body.length > 0 && (contentType === undefined || contentType.includes('x-www-form-urlencoded'))) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.set(k, v);
  }
  return params;
}

/** Indexed list parameters: prefix.member.1, prefix.member.2, ... */
export function memberList(params: URLSearchParams, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; ; i++) {
    const v = params.get(`${prefix}.member.${i}`);
    if (v === null) return out;
    out.push(v);
  }
}

/** Tags.member.N.Key / Tags.member.N.Value */
export function tagList(params: URLSearchParams, prefix = 'Tags'): Array<{ Key: string; Value: string }> {
  const out: Array<{ Key: string; Value: string }> = [];
  for (let i = 1; ; i++) {
    const k = params.get(`${prefix}.member.${i}.Key`);
    if (k === null) return out;
    out.push({ Key: k, Value: params.get(`${prefix}.member.${i}.Value`) ?? '' });
  }
}

export function isAwsError(e: unknown): e is AwsError {
  return e instanceof AwsError;
}

/** A JSON protocol's request body (AWS JSON 1.0 / 1.1, REST-JSON). */
export type JsonObject = Record<string, unknown>;

export const isJsonObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The JSON object a JSON-protocol request carries (an empty body is `{}`). Not JSON, or JSON that is not an object, is
 * the service's error (`invalid`, default SerializationException 400: what Secrets Manager, SSM, Organizations and
 * Step Functions answer; SQS, Scheduler and DynamoDB pass their own).
 */
export function parseJsonObject(body: Buffer, invalid: (message: string) => AwsError = (m) => new AwsError('SerializationException', m, 400), notObject = 'The request body must be a JSON object.'): JsonObject {
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('The request body is not valid JSON.');
  }
  if (!isJsonObject(parsed)) throw invalid(notObject);
  return parsed;
}

/** The operation an AWS JSON request names in `X-Amz-Target: <prefix><Operation>` ('Unknown' when it names none). */
export function targetOperation(headers: Record<string, string | string[] | undefined>, prefix: string): string {
  const target = headers['x-amz-target'];
  const t = Array.isArray(target) ? target[0] : target;
  return t?.startsWith(prefix) ? t.slice(prefix.length) : 'Unknown';
}

/** The handler of `op` in a JSON service's operation table; UnknownOperationException for another method or operation. */
export function jsonOperationHandler<H>(operations: Readonly<Record<string, H>>, op: string, method: string, message = ''): H {
  const handler = Object.hasOwn(operations, op) ? operations[op] : undefined;
  if (method !== 'POST' || handler === undefined) throw new AwsError('UnknownOperationException', message, 400);
  return handler;
}
