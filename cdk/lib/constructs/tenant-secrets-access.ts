import { Lazy, Stack, Tags, Validations, aws_iam as iam } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  JOB_SESSION_TAG,
  SECRET_JOB_NAMES,
  SECRET_JOBS,
  TENANT_POLICY_VARIABLE,
  TENANT_SESSION_TAG,
  jobSecretNames,
  type SecretJobName,
} from '../../../lambdas/domain/secret-access';

/**
 * TenantSecretsAccess: the only role that may touch a tenant's secrets in the home account
 * (`palette-onboarding/<tenantId>/...`, `palette-onboarding-credentials/<tenantId>/...`), one tenant per session.
 *
 * Its policy has one statement per secret job (lambdas/domain/secret-access.ts): the job's actions on the job's
 * secret names, the tenant part of every name being the policy variable `${aws:PrincipalTag/palette-onboarding-tenant}`,
 * and the statement applying only to sessions tagged `palette-onboarding-job` = that job. A session therefore reaches
 * the secrets of the tenant it was tagged with, and only with its job's actions, whatever ARN its input names.
 *
 * Who may start such a session is decided twice: the trust policy lists each function role with the one job it may
 * tag (`allow(role, job)`), and the function role's own grant (cdk/lib/permissions.ts `tenantSecrets:<job>`) says the
 * same. Both require exactly the two session tags.
 */
export class TenantSecretsAccess extends Construct {
  readonly role: iam.Role;
  /** The function roles allow() trusted. */
  private readonly trusted: iam.IRole[] = [];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    const secretArn = (name: string) => `arn:${stack.partition}:secretsmanager:${stack.region}:${stack.account}:secret:${name}`;
    const statements = SECRET_JOB_NAMES.map((job) => {
      const spec = SECRET_JOBS[job];
      return new iam.PolicyStatement({
        sid: spec.sid,
        actions: [...spec.actions],
        resources: jobSecretNames(job, TENANT_POLICY_VARIABLE).map(secretArn),
        conditions: { StringEquals: { [`aws:PrincipalTag/${JOB_SESSION_TAG}`]: job } },
      });
    });
    this.role = new iam.Role(this, 'Role', {
      description: "palette-onboarding: one tenant's secrets per session (session tags tenant + job)",
      // Replaced below by the trust policy allow() builds: only the function roles, each for its own job.
      assumedBy: new iam.AccountRootPrincipal(),
      inlinePolicies: { TenantSecrets: new iam.PolicyDocument({ statements }) },
    });
    (this.role.node.defaultChild as iam.CfnRole).assumeRolePolicyDocument = Lazy.any({
      produce: () =>
        new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'FunctionsForTheirOwnJob',
              principals: this.trusted.map((r) => new iam.ArnPrincipal(r.roleArn)),
              actions: ['sts:AssumeRole', 'sts:TagSession'],
              conditions: sessionTagConditions(JOB_OF_CALLER),
            }),
          ],
        }).toJSON(),
    });
    // cdk-nag's IAM5, per wildcard resource (its flattened form: pseudo parameters and policy variables in <>).
    const nagTenant = `<aws:PrincipalTag/${TENANT_SESSION_TAG}>`;
    for (const name of new Set(SECRET_JOB_NAMES.flatMap((job) => jobSecretNames(job, nagTenant)))) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${name}]`,
        reason:
          "Per-tenant secrets are named at run time: the tenant part of the name is ${aws:PrincipalTag/palette-onboarding-tenant} (one tenant per session), '-??????' is the suffix Secrets Manager appends, and the credentials the user supplies may have any name under the tenant's prefix (read-only).",
      });
    }
  }

  /**
   * Lets `role` start a session of this role for `job` and no other: the role is tagged `palette-onboarding-job` = job,
   * and the trust policy requires the session's job tag to equal the caller's (`${aws:PrincipalTag/...}`), so the
   * trust policy stays one statement (AWS caps it at 2,048 characters) however many functions there are.
   */
  allow(role: iam.IRole, job: SecretJobName): void {
    if (this.trusted.includes(role)) throw new Error(`${role.node.path} already has a secret job: a function has at most one`);
    this.trusted.push(role);
    Tags.of(role).add(JOB_SESSION_TAG, job);
  }
}

/** In the trust policy: the job the calling function role is tagged with. */
const JOB_OF_CALLER = `\${aws:PrincipalTag/${JOB_SESSION_TAG}}`;

/** The tags a session of `job` (a job, or a policy variable) must carry: the job, a tenant, nothing else. */
export function sessionTagConditions(job: string): Record<string, Record<string, string | string[]>> {
  return {
    StringEquals: { [`aws:RequestTag/${JOB_SESSION_TAG}`]: job },
    'ForAllValues:StringEquals': { 'aws:TagKeys': [TENANT_SESSION_TAG, JOB_SESSION_TAG] },
    Null: { [`aws:RequestTag/${TENANT_SESSION_TAG}`]: 'false' },
  };
}
