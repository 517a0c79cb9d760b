/**
 * Contract between the AWS sandbox core (server, SigV4, accounts, credentials, authorization,
 * realism) and its services (iam, sts, s3, secretsmanager, dynamodb). Each service is a class implementing
 * SandboxService, constructed with the SandboxKernel. Services keep their own state and make it
 * serialisable through snapshot()/restore() for the optional state file.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AwsOperationEvent, OperationObserver, RequestObserver } from '../../hooks';

export type ServiceName = 'iam' | 'sts' | 's3' | 'secretsmanager' | 'dynamodb';
/** 'json' is AWS JSON 1.1 (Secrets Manager); 'json-1.0' is AWS JSON 1.0 (DynamoDB). */
export type Protocol = 'query' | 'rest-xml' | 'json' | 'json-1.0';

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
  };
}

export interface FaultRule {
  /** Omit to match every service. */
  service?: ServiceName;
  /** Operation name as returned by SandboxService.operationName; omit to match all. */
  operation?: string;
  /** Probability in [0,1]. */
  rate: number;
  /** throttle = the service's real throttling error; reset = destroy the socket. */
  kind: 'throttle' | '500' | '503' | 'reset';
}

export interface AccountInfo {
  accountId: string;
  /** The account admin's credentials (the principal is `root`). */
  accessKeyId: string;
  secretAccessKey: string;
  /** True for the default management account. */
  management: boolean;
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
  /** Creates a member account (idempotent) with its OrganizationAccountAccessRole trusting the management account. */
  create(accountId: string): AccountInfo;
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
  /** Member accounts created at start (env SANDBOX_ACCOUNTS). */
  accounts?: string[];
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
  /** Injected faults per kind. */
  faults: Record<FaultRule['kind'], number>;
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
  /** Idempotent; returns the member account's admin credentials. */
  createAccount(accountId: string): AccountInfo;
  /** Deep-merge a realism patch into the live config. */
  setRealism(patch: Partial<RealismConfig>): void;
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
