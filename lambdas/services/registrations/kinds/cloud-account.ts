/**
 * The AWS cloud account: Palette's access to the tenant account, with the credentials of the AWS principal
 * (the STS role + this tenant's external ID, or the static user's stored access key; credentials.ts). Not
 * validated here: the readiness gate (CheckReadiness) validated these very credentials before Registrations.
 */
import { StateInputError } from '../../../shared/errors';
import type { AwsAccount, AwsCloudAccount } from '../../palette';
import { paletteAwsCredentials, sameCredentials } from '../../onboarding/credentials';
import { hasAwsPart, type AwsPlan } from '../../../domain/workflow-state';
import type { KindContext, Reconciler } from '../types';

/** The plan's AWS part, Palette's identity and the principal, which the AWS kinds need (the handler input carries them). */
export function awsInputs<K extends 'cloudAccount' | 'backupLocation'>(ctx: KindContext<K>): NonNullable<KindContext<K>['aws']> & { plan: AwsPlan } {
  if (!ctx.aws) throw new StateInputError(`${ctx.key}: the step input has no palette identity and principal`);
  if (!hasAwsPart(ctx.plan)) throw new StateInputError(`${ctx.key}: the plan has no AWS part (the request has no aws section)`);
  return { ...ctx.aws, plan: ctx.plan };
}

export const cloudAccount: Reconciler<'cloudAccount', AwsAccount, AwsCloudAccount> = {
  async desired(ctx) {
    const { palette, principal, plan } = awsInputs(ctx);
    return paletteAwsCredentials(plan, principal, palette);
  },

  async find(ctx) {
    // The list carries the whole account (metadata with annotations, spec with secrets masked).
    const found = await ctx.scope.cloudAccounts.aws.findByName(ctx.name);
    const uid = found?.metadata?.uid;
    if (!found || !uid) return undefined;
    return { uid, object: found, annotations: found.metadata?.annotations ?? {} };
  },

  converged: (_ctx, existing, desired) => sameCredentials(existing.object.spec, desired),

  async create(ctx, desired, annotations) {
    return { uid: await ctx.scope.cloudAccounts.aws.create({ metadata: { name: ctx.name, annotations }, spec: desired }) };
  },

  async update(ctx, existing, desired, annotations) {
    // The credentials are ours; the policy ARNs an adopted account may carry are kept.
    const policyARNs = existing.object.spec?.policyARNs;
    await ctx.scope.cloudAccounts.aws.update(existing.uid, {
      metadata: { name: ctx.name, uid: existing.uid, annotations },
      spec: { ...(policyARNs ? { policyARNs } : {}), ...desired },
    });
  },

  async delete(ctx, uid) {
    await ctx.scope.cloudAccounts.aws.delete(uid);
  },
};
