/**
 * HAND-WRITTEN operation types, only where the official spec is silent.
 *
 * Both operations below appear in no published OpenAPI `paths` (see spec/REFERENCE.md §2.1, §2.3 and the root-level
 * `x-inferred-paths` of spec/openapi-subset.json). They are written in openapi-typescript's shape so the same typed
 * openapi-fetch client can call them; their bodies reuse OFFICIAL schemas from the generated file wherever one exists.
 */
import type { components } from './generated/palette-api';

type NoParameters = { query?: never; header?: never; path?: never; cookie?: never };
type OtherMethodsNever = { get?: never; put?: never; delete?: never; options?: never; head?: never; patch?: never; trace?: never };

export interface InferredPaths {
  /**
   * HAND-WRITTEN — reason: POST /v1/auth/syslogin (system console login) is documented only in librarium prose/curl
   * examples. Request/response bodies use the official orphan definitions v1SysLogin / v1SysUserToken; the error
   * shape (V1Error, 401 on bad credentials) is assumed.
   */
  '/v1/auth/syslogin': { parameters: NoParameters; post: InferredOperations['SysLogin'] } & OtherMethodsNever;
  /**
   * HAND-WRITTEN — reason: the docs POST to /v1/system/config/aws/sts/account, while the spec defines only GET and
   * PUT there. Used only as the fallback when PUT answers 404/405. Body assumed identical to the official PUT.
   */
  '/v1/system/config/aws/sts/account': { parameters: NoParameters; post: InferredOperations['SystemConfigAwsStsAccountPost'] } & OtherMethodsNever;
}

export interface InferredOperations {
  SysLogin: {
    parameters: NoParameters;
    requestBody: { content: { 'application/json': components['schemas']['v1SysLogin'] } };
    responses: {
      200: { headers: { [name: string]: unknown }; content: { 'application/json': components['schemas']['v1SysUserToken'] } };
      default: { headers: { [name: string]: unknown }; content: { 'application/json': components['schemas']['v1Error'] } };
    };
  };
  SystemConfigAwsStsAccountPost: {
    parameters: NoParameters;
    requestBody: { content: { 'application/json': components['schemas']['v1SystemAwsStsAccount'] } };
    responses: {
      204: { headers: { [name: string]: unknown }; content?: never };
    };
  };
}

/**
 * The hand-written operations above as "METHOD path" strings (runtime list). The contract test allows exactly these
 * outside the official `paths`; the type ties each entry to a key of InferredPaths.
 */
export const INFERRED_OPERATIONS = ['POST /v1/auth/syslogin', 'POST /v1/system/config/aws/sts/account'] as const satisfies readonly `POST ${keyof InferredPaths}`[];
