/**
 * Contract between the AWS sandbox core (server, SigV4, accounts, credentials, authorization,
 * realism) and its services (iam, sts, s3, secretsmanager, dynamodb, organizations). Each service is a class implementing
 * SandboxService, constructed with the SandboxKernel. Services keep their own state and make it
 * serialisable through snapshot()/restore() for the optional state file.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AwsOperationEvent, OperationObserver, RequestObserver } from '../../hooks';
import type { RealismPatch } from './realism';
import type { TargetRouter } from './targets';

export type ServiceName =
  | 'iam'
  | 'sts'
  | 's3'
  | 'secretsmanager'
  | 'dynamodb'
  | 'organizations'
  | 'ssm'
  | 'sqs'
  | 'events'
  | 'scheduler'
  | 'states'
  | 'cloudformation';
/**
 * 'json' is AWS JSON 1.1 (Secrets Manager, Organizations, SSM, EventBridge); 'json-1.0' is AWS JSON 1.0 (DynamoDB, SQS,
 * Step Functions); 'rest-json' is REST with JSON bodies (EventBridge Scheduler).
 */
export type Protocol = 'query' | 'rest-xml' | 'json' | 'json-1.0' | 'rest-json';

/** Who made a request. Account admin credentials map to `root`. */
export type Principal =
  | { kind: 'root'; accountId: string; arn: string; accessKeyId: string }
  | { kind: 'user'; accountId: string; arn: string; userName: string; userId: string; accessKeyId: string }
  | {
      kind: 'assumed-role';
      accountId: string;
      /** arn:aws:sts::<acct>:assumed-role/<role>/<session> */
      arn: string;
      roleArn: string;
      roleName: string;
      roleId: string;
      sessionName: string;
      accessKeyId: string;
    };

export interface SandboxRequest {
  service: ServiceName;
  region: string;
  method: string;
  /** Decoded path without the query string, e.g. "/my-bucket/some key.txt". */
  path: string;
  /** Raw path as received (still percent-encoded). */
  rawPath: string;
  query: URLSearchParams;
  /** Lower-cased header names (node's default). */
  headers: IncomingHttpHeaders;
  /** Payload with aws-chunked framing already removed. */
  body: Buffer;
  principal: Principal;
  requestId: string;
}

export interface SandboxResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** A policy document as JSON text (what IAM stores) or parsed. */
export type PolicyDocumentText = string;

export interface AuthzRequest {
  principal: Principal;
  /** e.g. "s3:PutObject" */
  action: string;
  /** Resource ARN, e.g. "arn:aws:s3:::bucket/key" */
  resource: string;
  /** Account that owns the resource (for cross-account decisions). S3 bucket owner, secret account, ... */
  resourceAccount: string;
  /** Resource-based policy (bucket policy, secret policy), if any. */
  resourcePolicy?: PolicyDocumentText;
  /** Extra request context keys, e.g. {"aws:SecureTransport": "false", "s3:prefix": "x"}. */
  context?: Record<string, string | string[]>;
}

export interface AuthzDecision {
  allowed: boolean;
  /** 'ExplicitDeny' | 'ImplicitDeny' | 'Allowed'. Never contains secret material. */
  reason: 'Allowed' | 'ExplicitDeny' | 'ImplicitDeny';
}

/** Live-mutable realism settings (config file, env, admin endpoint). */
export interface RealismConfig {
  /** New roles, users' keys, attachments and trust-policy changes are not effective for this long. */
  iamPropagationMs: number;
  latency: {
    /** Added to every call unless overridden. */
    defaultMs: number;
    /** Uniform jitter in [0, jitterMs). */
    jitterMs: number;
    /** Keyed by "service:Operation" (e.g. "iam:CreateRole") or "service:*". */
    perOperation: Record<string, number>;
  };
  faults: {
    seed: number;
    rules: FaultRule[];
    /** Outage windows: every matching call in [from, until) fails (default 503), no rate, no draw. */
    outages?: FaultOutage[];
  };
}

export interface FaultRule {
  /** Omit to match every service. */
  service?: ServiceName;
  /** Operation name as returned by SandboxService.operationName; omit to match all. */
  operation?: string;
  /** Probability in [0,1]. */
  rate: number;
  /**
   * throttle = the service's real throttling error; 500 / 503 = its internal error / ServiceUnavailable;
   * reset = destroy the socket; latency = wait `latencyMs` more, then go on (later rules may still fault the call).
   * Every kind but latency is injected before the operation runs: the faulted call changes nothing.
   */
  kind: 'throttle' | '500' | '503' | 'reset' | 'latency';
  /** Added delay for kind 'latency' (required there). */
  latencyMs?: number;
}

/** An outage of a service (or one operation, or every service): calls in [from, until) (epoch ms) fail. */
export interface FaultOutage {
  service?: ServiceName;
  operation?: string;
  from: number;
  until: number;
  /** Default '503' (ServiceUnavailable). */
  kind?: 'throttle' | '500' | '503' | 'reset';
}

export interface AccountInfo {
  accountId: string;
  /** The account admin's credentials (the principal is `root`). */
  accessKeyId: string;
  secretAccessKey: string;
  /** True for the default management account. */
  management: boolean;
  /**
   * Created outside the sandbox's organization (`{"standalone": true}`): no aws:PrincipalOrgID /
   * aws:ResourceOrgID for it, and Organizations does not know it. Its OrganizationAccountAccessRole still
   * trusts the management account (a stand-in for an outside account whose admin trusts us), so only
   * organization conditions keep the management account's principals out.
   */
  standalone?: boolean;
}

/** Where a new account goes (`POST /_sandbox/accounts`, `createAccount()`). */
export interface CreateAccountOptions {
  /** Outside the organization. */
  standalone?: boolean;
  /** Root or OU id to place the account under (default: the root). */
  parentId?: string;
}

/** An account with its place in the organization (what the admin API returns). */
export interface AccountView extends AccountInfo {
  /** The organization id; absent for a standalone account. */
  organizationId?: string;
  /** Root or OU id; absent for a standalone account. */
  parentId?: string;
}

/** Who a decision was about (AuthorizeEvent.principal). */
export interface AuthorizePrincipal {
  kind: Principal['kind'] | 'service';
  /** Caller ARN (assumed-role session ARN for sessions; the service principal for 'service'). */
  arn: string;
  accountId: string;
  /** Assumed-role sessions: the role's ARN and the session name. */
  roleArn?: string;
  sessionName?: string;
  accessKeyId?: string;
  /** Sessions: who created them (the AssumeRole caller, or the service for service sessions). */
  issuer?: { arn: string; accessKeyId?: string };
}

/** One authorization decision (RunningSandbox.onAuthorize). */
export interface AuthorizeEvent {
  principal: AuthorizePrincipal;
  action: string;
  resource: string;
  resourceAccount: string;
  allowed: boolean;
  reason: AuthzDecision['reason'];
}

export type AuthorizeObserver = (e: AuthorizeEvent) => void;

/** A session of a role assumed by an AWS service (as Lambda assumes a function's execution role). */
export interface ServiceSessionRequest {
  roleArn: string;
  /** The service principal, e.g. "lambda.amazonaws.com"; the role's trust policy must allow it. */
  service: string;
  /** Lambda uses the function name. 2-64 characters [\w+=,.@-]. */
  sessionName: string;
  /** 900..43200, default 3600. */
  durationSeconds?: number;
  /** aws:SourceArn / aws:SourceAccount in the trust evaluation (confused-deputy conditions), e.g. the function ARN. */
  sourceArn?: string;
  sourceAccount?: string;
}

export interface ServiceSessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** ISO 8601. */
  expiration: string;
  /** arn:aws:sts::<acct>:assumed-role/<role>/<session> */
  assumedRoleArn: string;
  roleArn: string;
}

export interface CredentialRecord {
  accessKeyId: string;
  secretAccessKey: string;
  /** Present for temporary (STS) credentials; must match X-Amz-Security-Token. */
  sessionToken?: string;
  /** Epoch ms when the key becomes usable (IAM propagation). */
  effectiveAt: number;
  /** Epoch ms expiry for temporary credentials. */
  expiresAt?: number;
  /** Inactive IAM user keys are rejected like unknown keys. */
  active: boolean;
  principal: Principal;
  /** Epoch ms the key was issued (IAM CreateDate / STS issue time). */
  createdAt?: number;
  /** Inline session policy passed to sts:AssumeRole (JSON text); intersects the role's permissions. */
  sessionPolicy?: PolicyDocumentText;
  /** STS sessions: who created the session (the AssumeRole caller, or a service principal). */
  issuer?: { arn: string; accessKeyId?: string };
  /**
   * STS sessions: session tags (AssumeRole `Tags`, plus the caller's transitive tags in a role chain). They reach IAM
   * evaluation as `aws:PrincipalTag/<key>`, over the role's own tags of the same key.
   */
  sessionTags?: Array<{ Key: string; Value: string }>;
  /** Keys of `sessionTags` that pass on to sessions this session assumes (AssumeRole `TransitiveTagKeys`, inherited ones). */
  transitiveTagKeys?: string[];
}

export interface CredentialStore {
  register(record: CredentialRecord): void;
  lookup(accessKeyId: string): CredentialRecord | undefined;
  update(accessKeyId: string, patch: Partial<Pick<CredentialRecord, 'active'>>): void;
  remove(accessKeyId: string): void;
}

export interface AccountRegistry {
  list(): AccountInfo[];
  get(accountId: string): AccountInfo | undefined;
  /**
   * Creates an account (idempotent) with its OrganizationAccountAccessRole trusting the management account: a
   * member of the organization under the root (or `parentId`), or outside it with `standalone`. An existing
   * account is returned as it is; asking for another placement than it has is an error.
   */
  create(accountId: string, opts?: CreateAccountOptions): AccountInfo;
  readonly managementAccountId: string;
}

/** What S3 and Secrets Manager need from the identity side. */
export interface SandboxKernel {
  readonly config: RealismConfig;
  now(): number;
  readonly accounts: AccountRegistry;
  readonly credentials: CredentialStore;
  /**
   * Full IAM decision: identity policies of the principal (only those already propagated),
   * plus the resource policy, with cross-account rules. Root of the owning account is always allowed
   * unless a resource policy explicitly denies.
   */
  authorize(req: AuthzRequest): Promise<AuthzDecision>;
  /**
   * Deterministic ids: AWS-shaped random ids drawn from the seeded generator.
   * Default alphabet is [A-Za-z0-9]; 'upper' gives [A-Z0-9] (IAM unique ids: AROA..., AIDA...).
   */
  randomId(prefix: string, length: number, alphabet?: 'mixed' | 'upper'): string;
  /** Deliveries between services (EventBridge rules and Scheduler to their targets, SQS to Lambda): core/targets.ts. */
  readonly targets: TargetRouter;
}

export interface SandboxService {
  readonly name: ServiceName;
  readonly protocol: Protocol;
  /** Operation name for logs, the latency model and fault rules (e.g. "CreateBucket"). */
  operationName(req: SandboxRequest): string;
  /** Throw AwsError for AWS errors; the core renders them in the service's protocol. */
  handle(req: SandboxRequest): Promise<SandboxResponse>;
  /** JSON-serialisable state for the state file. */
  snapshot(): unknown;
  restore(data: unknown): void;
  /** Resource identifiers per type for one account, e.g. {buckets: ["b1"], objects: ["b1/k"]}. */
  inventory(accountId: string): Record<string, string[]>;
  /** Releases what the service holds (embedded servers); called once when the sandbox stops. */
  close?(): Promise<void>;
}

/** Options for startSandbox() (local/aws/index.ts). Every field is optional. */
export interface SandboxOptions {
  /** 0 picks a free port (tests). Default 4566 (env SANDBOX_AWS_PORT). */
  port?: number;
  /** Always loopback. */
  host?: '127.0.0.1';
  region?: string;
  managementAccountId?: string;
  /** Management account admin credentials (env SANDBOX_ACCESS_KEY_ID / SANDBOX_SECRET_ACCESS_KEY). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Member accounts created at start (env SANDBOX_ACCOUNTS), under the organization's root. */
  accounts?: string[];
  /** The organization the management account manages (default SANDBOX_ORGANIZATION_ID, `o-sandbox0001`). */
  organizationId?: string;
  realism?: Partial<RealismConfig>;
  /** The sandbox speaks plain HTTP on loopback; report aws:SecureTransport=true as if it were TLS. Default true. */
  assumeSecureTransport?: boolean;
  /** Load at start (if present) and persist changes to this JSON file. */
  stateFile?: string;
  /** Seed for generated ids (fault injection uses realism.faults.seed). */
  seed?: number;
  /** JSON realism config file (env SANDBOX_CONFIG), applied over defaults and under `realism`. */
  configFile?: string;
}

/** Request counters, for tests and the benchmark (GET /_sandbox/stats). */
export interface SandboxStats {
  /** Every request that reached a service route (after authentication), including retries. */
  requests: number;
  /** Attempts per "service:Operation". */
  operations: Record<string, number>;
  /** Injected faults per kind, from rules and outage windows alike. */
  faults: Record<FaultRule['kind'], number>;
  /** Calls failed by an outage window (also counted in `faults` under their kind). */
  outages: number;
  /** Requests rejected before reaching a service (bad signature, unknown key, ...), per error code. */
  rejected: Record<string, number>;
}

export interface RunningSandbox {
  endpoint: string;
  port: number;
  region: string;
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  kernel: SandboxKernel;
  /** Every service, by name (in-process access for the app loader: e.g. the Step Functions service's engine). */
  services: ReadonlyMap<ServiceName, SandboxService>;
  /** Idempotent; returns the account's admin credentials (a member under the root unless `opts` say otherwise). */
  createAccount(accountId: string, opts?: CreateAccountOptions): AccountInfo;
  /** The organization's id (SANDBOX_ORGANIZATION_ID unless configured). */
  organizationId: string;
  /**
   * Temporary credentials of a role session assumed by an AWS service (e.g. `lambda.amazonaws.com`), after
   * checking that the role's trust policy allows that service principal (also `POST /_sandbox/service-sessions`).
   */
  serviceSession(req: ServiceSessionRequest): Promise<ServiceSessionCredentials>;
  /**
   * In-process observer of every authorization decision (fast path and memo included); called synchronously.
   * Returns the unsubscribe function. Costs nothing while no observer is registered.
   */
  onAuthorize(fn: AuthorizeObserver): () => void;
  /** Deep-merge a realism patch into the live config (as PUT /_sandbox/config; outages may give `durationMs`). */
  setRealism(patch: Partial<RealismConfig> | RealismPatch): void;
  /** accountId -> resource type -> ids, across every service. */
  inventory(): Record<string, Record<string, string[]>>;
  /** Live request counters (also GET /_sandbox/stats). */
  stats(): SandboxStats;
  /** Persist the state file now (no-op without stateFile). */
  persist(): void;
  /**
   * In-process observer of every answered API call (local/hooks.ts); answering 'hold' keeps the response unsent
   * (the socket stays open until stop). Returns the unsubscribe function.
   */
  onOperation(fn: OperationObserver<AwsOperationEvent>): () => void;
  /** In-process observer of every API request before it is processed; 'hold' leaves it unprocessed and unanswered. */
  onRequest(fn: RequestObserver): () => void;
  stop(): Promise<void>;
}
