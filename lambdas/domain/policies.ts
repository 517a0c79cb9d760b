/** IAM and bucket policy documents the onboarding writes. Pure. */

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/**
 * Velero backup permissions, exactly the action set of Palette's "add a backup location (dynamic)" docs,
 * scoped to the one bucket; KMS permissions on the customer-managed key when one is used.
 */
export function backupPolicyDocument(opts: { partition: string; bucketName: string; kmsKeyArn?: string }): PolicyDocument {
  const bucket = `arn:${opts.partition}:s3:::${opts.bucketName}`;
  const statements: PolicyStatement[] = [
    {
      Sid: 'VeleroEbsSnapshots',
      Effect: 'Allow',
      Action: [
        'ec2:DescribeVolumes',
        'ec2:DescribeSnapshots',
        'ec2:CreateTags',
        'ec2:CreateVolume',
        'ec2:CreateSnapshot',
        'ec2:DeleteSnapshot',
      ],
      Resource: '*',
    },
    {
      Sid: 'VeleroObjects',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:DeleteObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      Resource: `${bucket}/*`,
    },
    { Sid: 'VeleroBucket', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucket },
  ];
  if (opts.kmsKeyArn) {
    statements.push({
      Sid: 'VeleroKms',
      Effect: 'Allow',
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      Resource: opts.kmsKeyArn,
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** Trust policy letting Palette's AWS account assume the role, only with this tenant's external ID. */
export function paletteTrustPolicy(opts: { partition: string; paletteAccountId: string; externalId: string }): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PaletteAssumeRole',
        Effect: 'Allow',
        Principal: { AWS: `arn:${opts.partition}:iam::${opts.paletteAccountId}:root` },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': opts.externalId } },
      },
    ],
  };
}

/** Denies every S3 call on the bucket and its objects that does not use TLS. */
export function tlsOnlyBucketPolicy(opts: { partition: string; bucketName: string }): PolicyDocument {
  const bucket = `arn:${opts.partition}:s3:::${opts.bucketName}`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [bucket, `${bucket}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  };
}

/**
 * A resource policy (bucket policy, role trust policy) to put: its own statements kept, ours (matched by Sid) added or
 * replaced. `existing` is the current policy text (URL-encoded as IAM returns it, or plain), or undefined for none.
 */
export function mergePolicyStatements(existing: string | undefined, ours: PolicyDocument): PolicyDocument {
  const ourSids = new Set(ours.Statement.map((st) => st.Sid));
  let kept: PolicyStatement[] = [];
  if (existing) {
    const parsed: unknown = parsePolicyText(existing);
    const statements = (parsed as { Statement?: unknown }).Statement;
    const list = Array.isArray(statements) ? statements : statements ? [statements] : [];
    kept = (list as PolicyStatement[]).filter((st) => !ourSids.has(st.Sid));
  }
  return { Version: '2012-10-17', Statement: [...kept, ...ours.Statement] };
}

/**
 * Semantic equality of policy documents: accepts JSON text (optionally URL-encoded, as IAM returns it) or
 * objects; single values equal one-element arrays; action/resource lists compare as sets; statement order
 * is ignored.
 */
export function policyDocumentsEqual(a: unknown, b: unknown): boolean {
  return normalizePolicy(a) === normalizePolicy(b);
}

export function normalizePolicy(doc: unknown): string {
  const parsed = typeof doc === 'string' ? parsePolicyText(doc) : doc;
  return JSON.stringify(normalizeValue(parsed, ''));
}

function parsePolicyText(text: string): unknown {
  const trimmed = text.trim();
  const decoded = trimmed.startsWith('%7B') || trimmed.startsWith('%7b') ? decodeURIComponent(trimmed) : trimmed;
  return JSON.parse(decoded);
}

const SET_KEYS = new Set(['Action', 'NotAction', 'Resource', 'NotResource', 'AWS', 'Service', 'Federated']);

function normalizeValue(value: unknown, key: string): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => normalizeValue(v, ''));
    if (key === 'Statement') return items.map((s) => JSON.stringify(s)).sort().map((s) => JSON.parse(s) as unknown);
    if (SET_KEYS.has(key) || key === '') return [...new Set(items.map((v) => JSON.stringify(v)))].sort().map((s) => JSON.parse(s) as unknown);
    return items;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      // Condition values and set-like keys: single value == [value]
      const isSetLike = SET_KEYS.has(k) || key === 'Condition' || isConditionOperatorChild(key);
      out[k] = isSetLike && !Array.isArray(v) && (typeof v === 'string' || typeof v === 'boolean')
        ? [String(v)]
        : normalizeValue(v, k === 'Statement' ? 'Statement' : isSetLike ? k : k);
    }
    return out;
  }
  return value;
}

function isConditionOperatorChild(key: string): boolean {
  return /^(String|Arn|Bool|Numeric|Date|IpAddress|NotIpAddress|Null|ForAllValues|ForAnyValue)/.test(key);
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
/** IAM action matching: `*` and `?` wildcards, case-insensitive. */
export const actionMatches = (pattern: string, action: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test(action);

/** Does a statement's Principal name `accountId` (its root, the bare id) or everyone? */
function principalCovers(principal: unknown, partition: string, accountId: string): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  return asList((principal as { AWS?: unknown }).AWS).some((p) => p === '*' || p === accountId || p === `arn:${partition}:iam::${accountId}:root`);
}

/**
 * Why a role's trust policy, as read back from IAM, cannot let Palette assume the role, or undefined when it can as
 * far as the document shows: no statement allows Palette's account `sts:AssumeRole` with this tenant's external ID,
 * or an unconditional Deny covers it (a conditional Deny may not apply: Palette's own validation decides those).
 * Time does not fix either, so the workflow fails at once instead of waiting out the readiness budget.
 */
export function trustPolicyProblem(document: unknown, opts: { partition: string; paletteAccountId: string; externalId: string }): string | undefined {
  let parsed: unknown;
  try {
    parsed = typeof document === 'string' ? parsePolicyText(document) : document;
  } catch {
    return 'the trust policy is not valid JSON';
  }
  const statements = asList((parsed as { Statement?: unknown } | undefined)?.Statement) as Array<Record<string, unknown>>;
  const covers = (st: Record<string, unknown>) =>
    principalCovers(st.Principal, opts.partition, opts.paletteAccountId) &&
    (st.Action !== undefined ? asList(st.Action).some((a) => typeof a === 'string' && actionMatches(a, 'sts:AssumeRole')) : !asList(st.NotAction).some((a) => typeof a === 'string' && actionMatches(a, 'sts:AssumeRole')));
  const deny = statements.find((st) => st.Effect === 'Deny' && st.Condition === undefined && covers(st));
  if (deny) return `its statement ${typeof deny.Sid === 'string' ? `'${deny.Sid}' ` : ''}denies sts:AssumeRole to Palette's account ${opts.paletteAccountId} without a condition`;
  const allowed = statements.some((st) => {
    if (st.Effect !== 'Allow' || !covers(st)) return false;
    const ext = (st.Condition as Record<string, Record<string, unknown>> | undefined)?.StringEquals?.['sts:ExternalId'];
    return ext === undefined || asList(ext).includes(opts.externalId);
  });
  return allowed ? undefined : `no statement allows Palette's account ${opts.paletteAccountId} sts:AssumeRole with this tenant's external ID`;
}
