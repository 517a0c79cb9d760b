/**
 * IAM policy documents: validation with IAM's error messages (MalformedPolicyDocument), and the
 * AWS managed policies the sandbox ships.
 */
import { AwsError } from './errors';

export type PolicyKind = 'identity' | 'trust' | 'resource';

export interface PolicyValidationOptions {
  /**
   * Existence check for IAM user/role principal ARNs. Return undefined when the account is not
   * known to the sandbox (external accounts are accepted, since their entities cannot be checked).
   */
  principalExists?: (arn: string) => boolean | undefined;
}

const malformed = (message: string): AwsError => new AwsError('MalformedPolicyDocument', message, 400);

const TOP_LEVEL = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const ACTION_RE = /^[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+$/;
const ACCOUNT_RE = /^\d{12}$/;
const IAM_PRINCIPAL_RE = /^arn:aws:iam::(\d{12}):(root|user\/[\w+=,.@/-]+|role\/[\w+=,.@/-]+|federated-user\/[\w+=,.@-]+)$/;
const STS_PRINCIPAL_RE = /^arn:aws:sts::(\d{12}):(assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+|federated-user\/[\w+=,.@-]+)$/;
const SERVICE_PRINCIPAL_RE = /^([a-z0-9-]+\.)+amazonaws\.com(\.cn)?$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x): x is string => typeof x === 'string')) return v;
  return undefined;
}

function checkActions(value: unknown, kind: PolicyKind): void {
  const list = stringList(value);
  if (!list) throw malformed('Syntax errors in policy.');
  for (const a of list) {
    if (a !== '*' && !ACTION_RE.test(a)) {
      throw malformed('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
    }
    if (kind === 'trust' && !/^sts:/i.test(a) && a !== '*') {
      throw malformed('AssumeRole policy may only specify STS AssumeRole actions.');
    }
  }
}

function checkResources(value: unknown): void {
  const list = stringList(value);
  if (!list) throw malformed('Syntax errors in policy.');
  for (const r of list) {
    if (r !== '*' && !/^arn:[^:]+:[^:]*:[^:]*:[^:]*:.+$/.test(r) && !/^arn:[^:]+:[^:]+:::.+$/.test(r)) {
      throw malformed(`Resource ${r} must be in ARN format or "*".`);
    }
  }
}

function invalidPrincipal(type: string, value: string): AwsError {
  return malformed(`Invalid principal in policy: "${type}":"${value}"`);
}

function checkPrincipal(value: unknown, opts: PolicyValidationOptions): void {
  if (value === '*') return;
  if (!isPlainObject(value) || Object.keys(value).length === 0) throw malformed('Syntax errors in policy.');
  for (const [type, raw] of Object.entries(value)) {
    const list = stringList(raw);
    if (!list) throw malformed('Syntax errors in policy.');
    for (const p of list) {
      switch (type) {
        case 'AWS': {
          if (p === '*' || ACCOUNT_RE.test(p)) break;
          const iam = IAM_PRINCIPAL_RE.exec(p);
          if (iam) {
            const resource = iam[2] ?? '';
            if (resource !== 'root' && !resource.startsWith('federated-user/') && opts.principalExists?.(p) === false) {
              throw invalidPrincipal(type, p);
            }
            break;
          }
          if (STS_PRINCIPAL_RE.test(p)) break;
          throw invalidPrincipal(type, p);
        }
        case 'Service':
          if (!SERVICE_PRINCIPAL_RE.test(p)) throw invalidPrincipal(type, p);
          break;
        case 'Federated':
        case 'CanonicalUser':
          if (p.trim() === '') throw invalidPrincipal(type, p);
          break;
        default:
          throw malformed('Syntax errors in policy.');
      }
    }
  }
}

function checkCondition(value: unknown): void {
  if (!isPlainObject(value)) throw malformed('Syntax errors in policy.');
  for (const block of Object.values(value)) {
    if (!isPlainObject(block)) throw malformed('Syntax errors in policy.');
    for (const [key, v] of Object.entries(block)) {
      if (!/^[A-Za-z0-9-]+:.+$/.test(key)) {
        throw malformed('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
      }
      const ok =
        ['string', 'boolean', 'number'].includes(typeof v) ||
        (Array.isArray(v) && v.every((x) => ['string', 'boolean', 'number'].includes(typeof x)));
      if (!ok) throw malformed('Syntax errors in policy.');
    }
  }
}

/** Size limits IAM applies (characters, whitespace excluded), by kind. */
export const POLICY_SIZE_LIMITS = { identity: 6144, inline: 10240, trust: 2048 } as const;

export function policySize(text: string): number {
  return text.replace(/\s/g, '').length;
}

/**
 * Validates a policy document as IAM does for its kind; returns the parsed document.
 * Throws AwsError('MalformedPolicyDocument', ..., 400).
 */
export function validatePolicyDocument(text: string, kind: PolicyKind, opts: PolicyValidationOptions = {}): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed('This policy contains invalid Json');
  }
  if (!isPlainObject(doc)) throw malformed('This policy contains invalid Json');
  for (const key of Object.keys(doc)) if (!TOP_LEVEL.has(key)) throw malformed('Syntax errors in policy.');
  if (doc.Version !== undefined && doc.Version !== '2012-10-17' && doc.Version !== '2008-10-17') {
    throw malformed('The policy failed legacy parsing');
  }
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement === undefined ? undefined : [doc.Statement];
  if (!statements || statements.length === 0) throw malformed('Syntax errors in policy.');
  for (const s of statements) {
    if (!isPlainObject(s)) throw malformed('Syntax errors in policy.');
    for (const key of Object.keys(s)) if (!STATEMENT_KEYS.has(key)) throw malformed('Syntax errors in policy.');
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw malformed('Syntax errors in policy.');
    if (s.Action !== undefined && s.NotAction !== undefined) throw malformed('Syntax errors in policy.');
    if (s.Action === undefined && s.NotAction === undefined) throw malformed('Policy statement must contain actions.');
    checkActions(s.Action ?? s.NotAction, kind);
    const hasPrincipal = s.Principal !== undefined || s.NotPrincipal !== undefined;
    if (kind === 'identity' && hasPrincipal) throw malformed('Policy document should not specify a principal.');
    if (kind !== 'identity') {
      if (!hasPrincipal) throw malformed('Missing required field Principal');
      if (s.Principal !== undefined && s.NotPrincipal !== undefined) throw malformed('Syntax errors in policy.');
      checkPrincipal(s.Principal ?? s.NotPrincipal, opts);
    }
    const hasResource = s.Resource !== undefined || s.NotResource !== undefined;
    if (kind === 'trust' && hasResource) throw malformed(`Has prohibited field ${s.Resource !== undefined ? 'Resource' : 'NotResource'}`);
    if (kind === 'identity' && !hasResource) throw malformed('Policy statement must contain resources.');
    if (hasResource) {
      if (s.Resource !== undefined && s.NotResource !== undefined) throw malformed('Syntax errors in policy.');
      checkResources(s.Resource ?? s.NotResource);
    }
    if (s.Condition !== undefined) checkCondition(s.Condition);
  }
  return doc;
}

export interface AwsManagedPolicy {
  name: string;
  policyId: string;
  path: string;
  description: string;
  versionId: string;
  createDate: string;
  updateDate: string;
  document: string;
}

const doc = (statements: unknown[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 4);

/** A small set of real AWS managed policies (documents as published by AWS). */
export const AWS_MANAGED_POLICIES: readonly AwsManagedPolicy[] = [
  {
    name: 'AdministratorAccess',
    policyId: 'ANPAIWMBCKSKIEE64ZLYK',
    path: '/',
    description: 'Provides full access to AWS services and resources.',
    versionId: 'v1',
    createDate: '2015-02-06T18:39:46Z',
    updateDate: '2015-02-06T18:39:46Z',
    document: doc([{ Effect: 'Allow', Action: '*', Resource: '*' }]),
  },
  {
    name: 'PowerUserAccess',
    policyId: 'ANPAJYRXTHIB4FOVS3ZXS',
    path: '/',
    description: 'Provides full access to AWS services and resources, but does not allow management of Users and groups.',
    versionId: 'v5',
    createDate: '2015-02-06T18:39:47Z',
    updateDate: '2023-07-06T22:04:00Z',
    document: doc([
      { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
      {
        Effect: 'Allow',
        Action: [
          'account:GetAccountInformation',
          'account:GetPrimaryEmail',
          'account:ListRegions',
          'iam:CreateServiceLinkedRole',
          'iam:DeleteServiceLinkedRole',
          'iam:ListRoles',
          'organizations:DescribeOrganization',
        ],
        Resource: '*',
      },
    ]),
  },
  {
    name: 'IAMFullAccess',
    policyId: 'ANPAI7XKCFMBPM3QQRRVQ',
    path: '/',
    description: 'Provides full access to IAM via the AWS Management Console.',
    versionId: 'v2',
    createDate: '2015-02-06T18:40:38Z',
    updateDate: '2019-06-21T19:40:00Z',
    document: doc([
      {
        Effect: 'Allow',
        Action: [
          'iam:*',
          'organizations:DescribeAccount',
          'organizations:DescribeOrganization',
          'organizations:DescribeOrganizationalUnit',
          'organizations:DescribePolicy',
          'organizations:ListChildren',
          'organizations:ListParents',
          'organizations:ListPoliciesForTarget',
          'organizations:ListRoots',
          'organizations:ListPolicies',
          'organizations:ListTargetsForPolicy',
        ],
        Resource: '*',
      },
    ]),
  },
  {
    name: 'IAMReadOnlyAccess',
    policyId: 'ANPAJKSO7NDY4T57MWDSQ',
    path: '/',
    description: 'Provides read only access to IAM via the AWS Management Console.',
    versionId: 'v4',
    createDate: '2015-02-06T18:40:39Z',
    updateDate: '2018-01-25T19:11:27Z',
    document: doc([
      {
        Effect: 'Allow',
        Action: [
          'iam:GenerateCredentialReport',
          'iam:GenerateServiceLastAccessedDetails',
          'iam:Get*',
          'iam:List*',
          'iam:SimulateCustomPolicy',
          'iam:SimulatePrincipalPolicy',
        ],
        Resource: '*',
      },
    ]),
  },
  {
    name: 'AmazonS3FullAccess',
    policyId: 'ANPAIFIR6V6BVTRAHWINE',
    path: '/',
    description: 'Provides full access to all buckets via the AWS Management Console.',
    versionId: 'v2',
    createDate: '2015-02-06T18:40:58Z',
    updateDate: '2021-09-27T20:16:37Z',
    document: doc([{ Effect: 'Allow', Action: ['s3:*', 's3-object-lambda:*'], Resource: '*' }]),
  },
  {
    name: 'AmazonS3ReadOnlyAccess',
    policyId: 'ANPAIZTJ4DXE7G6AGAE6M',
    path: '/',
    description: 'Provides read only access to all buckets via the AWS Management Console.',
    versionId: 'v3',
    createDate: '2015-02-06T18:40:59Z',
    updateDate: '2023-08-10T21:31:39Z',
    document: doc([
      {
        Effect: 'Allow',
        Action: ['s3:Get*', 's3:List*', 's3:Describe*', 's3-object-lambda:Get*', 's3-object-lambda:List*'],
        Resource: '*',
      },
    ]),
  },
  {
    name: 'AWSLambdaBasicExecutionRole',
    policyId: 'ANPAJNCQGXC42545SKXIK',
    path: '/service-role/',
    description: 'Provides write permissions to CloudWatch Logs.',
    versionId: 'v1',
    createDate: '2015-04-09T15:03:43Z',
    updateDate: '2015-04-09T15:03:43Z',
    document: doc([{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }]),
  },
];

export const ADMINISTRATOR_ACCESS_ARN = 'arn:aws:iam::aws:policy/AdministratorAccess';

/** The document of an AWS managed policy the sandbox ships, by ARN (any partition), or undefined. */
export function awsManagedPolicyDocument(arn: string): string | undefined {
  const m = /^arn:[^:]+:iam::aws:policy(\/(?:[^/]+\/)*)([^/]+)$/.exec(arn);
  if (!m) return undefined;
  return AWS_MANAGED_POLICIES.find((p) => p.path === m[1] && p.name === m[2])?.document;
}

/** Parsed statements of a policy, tolerant of single-object Statement. */
export function statementsOf(text: string): Array<Record<string, unknown>> {
  try {
    const d: unknown = JSON.parse(text);
    if (!isPlainObject(d)) return [];
    const s = d.Statement;
    const list = Array.isArray(s) ? s : s === undefined ? [] : [s];
    return list.filter(isPlainObject);
  } catch {
    return [];
  }
}
