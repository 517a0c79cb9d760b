import { aws_logs as logs } from 'aws-cdk-lib';
import { READINESS_BUDGET } from '../../lambdas/domain/readiness';
import { z } from 'zod';
import { paletteEndpointProblem } from '../../lambdas/domain/endpoints';
import { DEFAULT_DEPLOYMENT_ID } from '../../lambdas/domain/names';
import { REVALIDATION_DEFAULTS } from '../../lambdas/domain/drift';
import { assumableRolePatternsConfigIssues } from '../../lambdas/domain/platform';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { parseTenantIdSource, templateIssues } from '../../lambdas/domain/account-vending';
import { parsePaletteCaSource } from '../../lambdas/domain/palette-ca';
import { PROJECT_ROOT } from './paths';

/**
 * Deployment configuration of the onboarding stack, read from CDK context (cdk.json "context", or
 * `-c key=value` on the command line, where every value arrives as a string).
 *
 * | key                       | default                          | meaning                                          |
 * | ------------------------- | -------------------------------- | ------------------------------------------------ |
 * | paletteEndpoint           | https://api.spectrocloud.com     | Palette API base URL (self-hosted: your own);    |
 * |                           |                                  | https only, unless allowInsecureEndpoints        |
 * | paletteApiKeySecretArn    | (absent)                         | ARN of the Secrets Manager secret with the API   |
 * |                           |                                  | key; absent = secret NAMED                       |
 * |                           |                                  | `palette-onboarding/palette-api-key` in the      |
 * |                           |                                  | stack's account/region (granted by name pattern) |
 * | allowedExecutionRoleNames | ["OrganizationAccountAccessRole"]| roles the Lambdas may assume in tenant accounts  |
 * | readinessBudgetSeconds    | 900 (10..1800)                   | default readiness budget (env): IAM propagation  |
 * |                           |                                  | can take up to 15 minutes                        |
 * | eventBusName              | palette-onboarding               | custom EventBridge bus for requests; results go  |
 * |                           |                                  | to `<eventBusName>-notifications`                |
 * | allowedOrganizationId     | (absent)                         | account guard: accounts of this organization may |
 * |                           |                                  | be onboarded (o-...)                             |
 * | allowedOrganizationalUnitIds | []                            | account guard: only accounts under these OUs (at |
 * |                           |                                  | any depth); without an organization id: the home |
 * |                           |                                  | account's organization                           |
 * | allowedAccountIds         | []                               | account guard: these accounts, whatever their    |
 * |                           |                                  | organization. Nothing of the three configured:   |
 * |                           |                                  | only the home account may be onboarded           |
 * | allowedPublishers         | []                               | who may put events on the onboarding bus besides |
 * |                           |                                  | the home account: 12-digit account ids and/or    |
 * |                           |                                  | IAM role ARNs                                    |
 * | allowedPublisherOrganizationId | (absent)                    | ... and every principal of this organization     |
 * | allowInsecureEndpoints    | false                            | LOCAL / TESTING ONLY: accept an http Palette     |
 * |                           |                                  | endpoint and http / loopback backup endpoints    |
 * | paletteCaBundle           | (absent)                         | PEM CA bundle the Palette client trusts besides  |
 * |                           |                                  | the public roots (a self-hosted Palette's private|
 * |                           |                                  | CA): a secret ARN, `secretsmanager:<name>`, an   |
 * |                           |                                  | SSM parameter ARN or `ssm:<name>`; absent =      |
 * |                           |                                  | public roots only. Verification is never off     |
 * | paletteVpc                | (absent)                         | the Palette-calling functions run in this VPC:   |
 * |                           |                                  | {vpcId, subnetIds (1-16), securityGroupIds       |
 * |                           |                                  | (1-5)} (JSON text with -c); they then need NAT   |
 * |                           |                                  | or VPC endpoints for the AWS APIs they call      |
 * | sharedPaletteRateLimit    | true                             | every container together keeps Palette's rate    |
 * |                           |                                  | limit, through a DynamoDB rate table (README     |
 * |                           |                                  | "Palette's rate limit"); false: each container   |
 * |                           |                                  | keeps it on its own                              |
 * | traceSdkCalls             | false                            | every AWS SDK call of the functions becomes an   |
 * |                           |                                  | X-Ray subsegment (Powertools Tracer: about 45 ms |
 * |                           |                                  | more per cold start); Lambda's and Step          |
 * |                           |                                  | Functions' own X-Ray traces are always on        |
 * | setSourceIdentity         | false                            | AssumeRole into tenant accounts also sets        |
 * |                           |                                  | SourceIdentity = tenantId (the execution roles'  |
 * |                           |                                  | trust must allow sts:SetSourceIdentity)          |
 * | deploymentId              | palette-onboarding               | managed-by mark of everything this deployment    |
 * |                           |                                  | manages; another deployment's objects are never  |
 * |                           |                                  | touched (give each deployment its own)           |
 * | secretRecoveryDays        | 7 (7..30)                        | offboarding deletes a tenant's secrets with this |
 * |                           |                                  | recovery window (restorable meanwhile)           |
 * | revalidationSchedule      | rate(1 day)                      | when re-validation runs over every ACTIVE and    |
 * |                           |                                  | DRIFTED tenant (EventBridge Scheduler rate() or  |
 * |                           |                                  | cron()); `off`: no schedule (CLI runs only)      |
 * | revalidationConcurrency   | 5 (1..40)                        | tenants re-validated at once                     |
 * | remediate                 | false                            | re-run a drifted tenant's onboarding (its latest |
 * |                           |                                  | request) instead of only reporting               |
 * | apiKeyExpiryWarningDays   | 14 (1..365)                      | a Palette API key expiring within it is a finding|
 * | staticKeyRotationDays     | 90 (1..3650)                     | a static access key older than it is a finding   |
 * |                           |                                  | (remediation rotates it)                         |
 * | logRetentionDays          | 30 (a CloudWatch Logs value)     | retention of all log groups                      |
 * | logLevel                  | INFO                             | POWERTOOLS_LOG_LEVEL of the Lambdas              |
 * | selfHosted                | false                            | Palette is self-hosted: adds the PlatformSetup   |
 * |                           |                                  | state machine, run at deploy (platform-setup.md) |
 * | paletteSystemSecretArn    | (absent)                         | self-hosted: secret {username,password} of the   |
 * |                           |                                  | system console; absent = secret NAMED            |
 * |                           |                                  | palette-onboarding-platform/system-credentials   |
 * | reverseProxySecretArn     | (absent)                         | self-hosted: reverse-proxy secret (ARN or name); |
 * |                           |                                  | absent = the reverse proxy is not managed        |
 * | stsKeyRotationDays        | (absent) (1..365)                | self-hosted: rotate the STS key on a schedule    |
 * | platformAssumableRolePatterns | []                           | self-hosted: role ARN patterns the STS principal |
 * |                           |                                  | may assume besides this project's tenant roles   |
 * |                           |                                  | (arn:<partition>:iam::<acct|*>:role/<name>; not  |
 * |                           |                                  | "*", not every role of every account)            |
 * | platformStsTakeOver       | false                            | self-hosted: the deploy-time run replaces a      |
 * |                           |                                  | system STS account that is not this deployment's |
 * |                           |                                  | (default: reported and left alone)               |
 * | reverseProxyDns           | (absent)                         | self-hosted: {hostedZoneId, zoneName, recordName,|
 * |                           |                                  | loadBalancerHost}: a Route 53 CNAME recordName ->|
 * |                           |                                  | loadBalancerHost (seed 001 step 5), owned by the |
 * |                           |                                  | stack; needs reverseProxySecretArn               |
 * | alarmTopicArn             | (absent)                         | SNS topic (standard, the stack's region) that    |
 * |                           |                                  | every alarm notifies; absent = alarms only       |
 * | accountVendingRequestTemplate | (absent)                     | account vending: the onboarding request template |
 * |                           |                                  | (a JSON file's path, relative to the project     |
 * |                           |                                  | root, or an inline object) for accounts AWS      |
 * |                           |                                  | Control Tower / Organizations announce; absent = |
 * |                           |                                  | no account vending trigger                       |
 * | accountVendingTenantIdFrom | accountName                     | account vending: tenant id from the account name |
 * |                           |                                  | or `tag:<TagKey>` (the account's tag)            |
 * | tenantsDirectory          | (absent)                         | declared tenants: a folder (relative to the      |
 * |                           |                                  | project root) of <tenantId>.json requests,       |
 * |                           |                                  | onboarded on deploy, offboarded when removed;    |
 * |                           |                                  | absent = no declared tenants custom resource     |
 */

/** The secret name used when `paletteApiKeySecretArn` is not configured. */
export const DEFAULT_PALETTE_API_KEY_SECRET_NAME = 'palette-onboarding/palette-api-key';

const RETENTION_DAYS: ReadonlySet<number> = new Set(
  Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number'),
);

/** `-c key=123` arrives as a string: accept numeric strings. */
const numberFromContext = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v),
  z.number().int(),
);

/** `-c key=true` arrives as a string: accept "true"/"false". */
const booleanFromContext = z.preprocess(
  (v) => (v === 'true' ? true : v === 'false' ? false : v),
  z.boolean(),
);

/** A list from cdk.json (array), or from `-c key=a,b` / `-c key='["a","b"]'` (string). */
const listFromContext = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    const s = v.trim();
    if (s.startsWith('[')) {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        return v;
      }
    }
    return s === '' ? [] : s.split(',').map((x) => x.trim());
  }, z.array(item));

/** IAM role name characters (no wildcards: a name here becomes part of a resource ARN in a policy). */
const roleName = z
  .string()
  .regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (1-64 of [A-Za-z0-9+=,.@_-], no wildcards)');

/** AWS Organizations and account ids. */
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const organizationId = z.string().regex(ORGANIZATION_ID, 'must be an AWS Organizations id (o- and 10-32 of [a-z0-9])');
const organizationalUnitId = z
  .string()
  .regex(/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/, 'must be an organizational unit id (ou-<root part>-<8-32 of [a-z0-9]>)');
const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');
/** An account id, or an IAM role ARN (with its path), that may put events on the onboarding bus. */
const publisher = z
  .string()
  .regex(
    /^(\d{12}|arn:aws(-[a-z]+)*:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64})$/,
    'must be a 12-digit AWS account id or an IAM role ARN (arn:<partition>:iam::<account>:role/<path/name>)',
  );

/**
 * An EventBridge Scheduler expression (`rate(<n> minute(s)|hour(s)|day(s))` or `cron(<6 fields>)`), or `off`. Scheduler
 * validates the expression itself at deploy; this catches the usual typos at synth.
 */
export const REVALIDATION_SCHEDULE = /^(off|rate\(([1-9]\d*) (minute|minutes|hour|hours|day|days)\)|cron\([^()]+( [^()]+){5}\))$/;

/** An object from cdk.json, or JSON text from `-c key='{...}'` (left as it is when it does not parse: the schema says why). */
const objectFromContext = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => {
    if (typeof v !== 'string' || !v.trim().startsWith('{')) return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  }, schema);

/**
 * The VPC placement of the Palette-calling functions (README "Self-hosted Palette in a private network"). Lambda takes
 * up to 16 subnets and 5 security groups; the subnets must be private ones of `vpcId` (Lambda functions get no public
 * IP), with a route to Palette and to the AWS APIs (NAT or VPC endpoints).
 */
const paletteVpc = z
  .object(
    {
      vpcId: z.string().regex(/^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/, 'must be a VPC id (vpc- and 8 or 17 hex digits)'),
      subnetIds: z
        .array(z.string().regex(/^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/, 'must be a subnet id (subnet- and 8 or 17 hex digits)'))
        .min(1, 'must name at least one subnet')
        .max(16, 'Lambda takes at most 16 subnets')
        .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a subnet'),
      securityGroupIds: z
        .array(z.string().regex(/^sg-([0-9a-f]{8}|[0-9a-f]{17})$/, 'must be a security group id (sg- and 8 or 17 hex digits)'))
        .min(1, 'must name at least one security group')
        .max(5, 'Lambda takes at most 5 security groups')
        .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a security group'),
    },
    { error: 'must be an object {vpcId, subnetIds, securityGroupIds} (JSON text with -c)' },
  )
  .strict();
export type PaletteVpcConfig = z.infer<typeof paletteVpc>;

/** A DNS name: dot-separated labels of letters, digits and hyphens (no trailing dot), at most 253 characters. */
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
const dnsName = z
  .string()
  .transform((v) => v.toLowerCase().replace(/\.$/, ''))
  .pipe(z.string().regex(DNS_NAME, 'must be a DNS name such as proxy.example.com'));

/**
 * Seed 001 step 5 as infrastructure: the CNAME from the reverse proxy's host name (the reverse-proxy file's `server`)
 * to the proxy's load balancer (`kubectl get svc -n proxy-system spectro-proxy-svc`). CloudFormation owns the record:
 * it is created, updated and deleted with the stack, and a record of that name that exists already fails the
 * deployment instead of being overwritten.
 */
const reverseProxyDns = z
  .object(
    {
      hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,32}$/, 'must be a Route 53 hosted zone id (Z...)'),
      zoneName: dnsName,
      recordName: dnsName,
      loadBalancerHost: dnsName,
    },
    { error: 'must be an object {hostedZoneId, zoneName, recordName, loadBalancerHost} (JSON text with -c)' },
  )
  .strict()
  .superRefine((d, ctx) => {
    if (d.recordName !== d.zoneName && !d.recordName.endsWith(`.${d.zoneName}`)) {
      ctx.addIssue({ code: 'custom', path: ['recordName'], message: `must be in the hosted zone ${d.zoneName}` });
    }
    if (d.recordName === d.zoneName) {
      ctx.addIssue({ code: 'custom', path: ['recordName'], message: 'a CNAME cannot be at the zone apex: use a host name inside the zone' });
    }
    if (d.loadBalancerHost === d.recordName) {
      ctx.addIssue({ code: 'custom', path: ['loadBalancerHost'], message: 'must differ from recordName (a CNAME to itself)' });
    }
  });
export type ReverseProxyDnsConfig = z.infer<typeof reverseProxyDns>;

/** A Secrets Manager secret ARN (complete or partial) or a secret name. */
const SECRET_ID = /^(arn:aws(-[a-z]+)*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+|[\w/+=.@-]{1,512})$/;

export const OnboardingConfigSchema = z
  .object({
    paletteEndpoint: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .default('https://api.spectrocloud.com'),
    paletteApiKeySecretArn: z
      .string()
      .regex(
        /^arn:aws(-[a-z]+)*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/,
        'must be a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>)',
      )
      .optional(),
    allowedExecutionRoleNames: listFromContext(roleName)
      .refine((names) => names.length > 0, 'must name at least one role')
      .default(['OrganizationAccountAccessRole']),
    readinessBudgetSeconds: numberFromContext
      .pipe(z.number().int().min(READINESS_BUDGET.minSeconds).max(READINESS_BUDGET.maxSeconds))
      .default(READINESS_BUDGET.defaultSeconds),
    eventBusName: z
      .string()
      // 256 minus "-notifications" (the results bus is `<eventBusName>-notifications`).
      .regex(/^[.\-_A-Za-z0-9]{1,242}$/, 'must be an EventBridge bus name ([.-_A-Za-z0-9], 1-242)')
      .refine((n) => n !== 'default', 'must be a custom bus, not "default"')
      .default('palette-onboarding'),
    logRetentionDays: numberFromContext
      .refine((d) => RETENTION_DAYS.has(d), {
        message: `must be a CloudWatch Logs retention value (${[...RETENTION_DAYS].sort((a, b) => a - b).join(', ')})`,
      })
      .default(30),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    deploymentId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 of [A-Za-z0-9._-]')
      .default(DEFAULT_DEPLOYMENT_ID),
    selfHosted: booleanFromContext.default(false),
    // ---- self-hosted platform setup (docs/platform-setup.md) ----
    paletteSystemSecretArn: z
      .string()
      .regex(SECRET_ID, 'must be a Secrets Manager secret ARN or name')
      .optional(),
    reverseProxySecretArn: z
      .string()
      .regex(SECRET_ID, 'must be a Secrets Manager secret ARN or name')
      .optional(),
    stsKeyRotationDays: numberFromContext.pipe(z.number().min(1).max(365)).optional(),
    platformAssumableRolePatterns: listFromContext(z.string())
      .superRefine((patterns, ctx) => {
        for (const issue of assumableRolePatternsConfigIssues(patterns)) ctx.addIssue({ code: 'custom', message: issue });
      })
      .default([]),
    platformStsTakeOver: booleanFromContext.default(false),
    reverseProxyDns: objectFromContext(reverseProxyDns).optional(),
    // ---- account guard (README "Before the first tenant") ----
    allowedOrganizationId: organizationId.optional(),
    allowedOrganizationalUnitIds: listFromContext(organizationalUnitId).default([]),
    allowedAccountIds: listFromContext(accountId).default([]),
    // ---- who may start onboardings by event ----
    allowedPublishers: listFromContext(publisher).default([]),
    allowedPublisherOrganizationId: organizationId.optional(),
    // ---- transport ----
    allowInsecureEndpoints: booleanFromContext.default(false),
    // ---- reaching Palette (README "Self-hosted Palette in a private network") ----
    paletteCaBundle: z
      .string()
      .trim()
      .superRefine((v, ctx) => {
        const source = parsePaletteCaSource(v);
        if ('problem' in source) ctx.addIssue({ code: 'custom', message: source.problem });
      })
      .optional(),
    paletteVpc: objectFromContext(paletteVpc).optional(),
    sharedPaletteRateLimit: booleanFromContext.default(true),
    traceSdkCalls: booleanFromContext.default(false),
    // ---- tenant sessions ----
    setSourceIdentity: booleanFromContext.default(false),
    // ---- offboarding ----
    secretRecoveryDays: numberFromContext.pipe(z.number().int().min(7).max(30)).default(7),
    // ---- re-validation (README "Re-validation") ----
    revalidationSchedule: z
      .string()
      .trim()
      .regex(REVALIDATION_SCHEDULE, 'must be an EventBridge Scheduler rate(...) or cron(...) expression, or off')
      .default(REVALIDATION_DEFAULTS.schedule),
    revalidationConcurrency: numberFromContext.pipe(z.number().int().min(1).max(40)).default(REVALIDATION_DEFAULTS.concurrency),
    remediate: booleanFromContext.default(REVALIDATION_DEFAULTS.remediate),
    apiKeyExpiryWarningDays: numberFromContext.pipe(z.number().int().min(1).max(365)).default(REVALIDATION_DEFAULTS.apiKeyExpiryWarningDays),
    staticKeyRotationDays: numberFromContext.pipe(z.number().int().min(1).max(3650)).default(REVALIDATION_DEFAULTS.staticKeyRotationDays),
    // ---- declared tenants (README "Declared tenants") ----
    tenantsDirectory: z
      .string()
      .trim()
      .min(1, 'must name a folder')
      .max(1024, 'must be at most 1024 characters')
      .optional(),
    // ---- account vending (README "Account vending") ----
    /** A path (relative to the project root) to a JSON file, an inline object (cdk.json), or inline JSON text (`-c`). */
    accountVendingRequestTemplate: z.union([z.string().trim().min(1, 'must be a JSON file path or an object'), z.record(z.string(), z.unknown())]).optional(),
    accountVendingTenantIdFrom: z
      .string()
      .refine((v) => parseTenantIdSource(v) !== undefined, "must be 'accountName' or 'tag:<TagKey>' (an AWS Organizations tag key, 1-128 characters)")
      .default('accountName'),
    // ---- alarms (README "Alarms and metrics") ----
    alarmTopicArn: z
      .string()
      .regex(
        /^arn:aws(-[a-z]+)*:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$/,
        'must be the ARN of a standard SNS topic (arn:<partition>:sns:<region>:<account>:<name>; CloudWatch alarms cannot publish to a .fifo topic)',
      )
      .optional(),
  })
  .superRefine((c, ctx) => {
    const problem = paletteEndpointProblem(c.paletteEndpoint, c.allowInsecureEndpoints);
    if (problem) ctx.addIssue({ code: 'custom', path: ['paletteEndpoint'], message: problem });
    if (c.reverseProxyDns && !(c.selfHosted && c.reverseProxySecretArn)) {
      ctx.addIssue({ code: 'custom', path: ['reverseProxyDns'], message: 'only with selfHosted and reverseProxySecretArn (the record points at the reverse proxy this deployment configures)' });
    }
  });

export type OnboardingConfig = z.infer<typeof OnboardingConfigSchema>;
export type OnboardingConfigInput = z.input<typeof OnboardingConfigSchema>;

export const CONFIG_KEYS = Object.keys(OnboardingConfigSchema.shape) as (keyof OnboardingConfig)[];

/** Thrown for invalid context; the message names every offending key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: { key: string; message: string }[]) {
    super(
      `Invalid CDK context for palette-onboarding:\n` +
        issues.map((i) => `  - "${i.key}": ${i.message}`).join('\n'),
    );
  }
}

/** Parse a raw record of context values (missing or undefined keys take their defaults). */
export function parseConfig(raw: Record<string, unknown>): OnboardingConfig {
  const picked: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    if (raw[key] !== undefined && raw[key] !== null) picked[key] = raw[key];
  }
  const result = OnboardingConfigSchema.safeParse(picked);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '(root)');
      const at = issue.path.length > 1 ? ` (at ${issue.path.slice(1).join('.')})` : '';
      return { key, message: `${issue.message}${at}; got ${JSON.stringify(raw[key])}` };
    }),
  );
}

/** Read the configuration from a construct's context (App / Stack node). */
export function loadConfig(node: { tryGetContext(key: string): unknown }): OnboardingConfig {
  return parseConfig(Object.fromEntries(CONFIG_KEYS.map((k) => [k, node.tryGetContext(k)])));
}

/**
 * The account vending request template travels to the starter Lambda as one environment variable; a Lambda's whole
 * environment is at most 4 KB. The rest of the starter's environment (two state machine ARNs, the tenant id
 * source, the logging keys) takes well under 1 KB, so the template (compact JSON) may have 3 KiB.
 */
export const ACCOUNT_VENDING_TEMPLATE_MAX_BYTES = 3 * 1024;

/** The account vending request template, read and checked. */
export interface AccountVendingTemplate {
  template: Record<string, unknown>;
  /** Compact JSON: the starter's ACCOUNT_VENDING_REQUEST_TEMPLATE. */
  json: string;
  /** Where it came from: the file's path as configured, or `(inline)`. */
  source: string;
}

/**
 * Reads `accountVendingRequestTemplate` (undefined when not configured): a JSON file (path relative to `root`, the
 * project root where cdk.json is), an inline object, or inline JSON text. Checked with the product's request schema
 * (lambdas/domain/account-vending.ts templateIssues) and for size; a ConfigError names the key, the file and each
 * field.
 */
export function loadAccountVendingTemplate(config: Pick<OnboardingConfig, 'accountVendingRequestTemplate'>, root: string = PROJECT_ROOT): AccountVendingTemplate | undefined {
  const configured = config.accountVendingRequestTemplate;
  if (configured === undefined) return undefined;
  const key = 'accountVendingRequestTemplate';
  let template: unknown = configured;
  let source = '(inline)';
  if (typeof configured === 'string') {
    const inline = configured.startsWith('{');
    source = inline ? '(inline JSON)' : configured;
    let text = configured;
    if (!inline) {
      const file = isAbsolute(configured) ? configured : join(root, configured);
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw new ConfigError([{ key, message: `cannot read the request template file ${configured} (${file}): ${e instanceof Error ? e.message : String(e)}` }]);
      }
    }
    try {
      template = JSON.parse(text);
    } catch (e) {
      throw new ConfigError([{ key, message: `the request template ${source} is not JSON: ${e instanceof Error ? e.message : String(e)}` }]);
    }
  }
  const issues = templateIssues(template);
  if (issues.length > 0) {
    throw new ConfigError(issues.map((i) => ({ key, message: `request template ${source}, field ${i.path === '' ? '(root)' : i.path}: ${i.message}` })));
  }
  const json = JSON.stringify(template);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > ACCOUNT_VENDING_TEMPLATE_MAX_BYTES) {
    throw new ConfigError([
      {
        key,
        message: `the request template ${source} is ${bytes} bytes as compact JSON; at most ${ACCOUNT_VENDING_TEMPLATE_MAX_BYTES} fit into the starter Lambda's environment (4 KB in all)`,
      },
    ]);
  }
  return { template: template as Record<string, unknown>, json, source };
}
