/**
 * "Is the tenant's Palette registration in use?" (lambdas/services/offboarding/in-use.ts) against the Palette emulator:
 * registrations made by the real ensure steps, clusters added with the emulator's addCluster, the real Palette client.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Plan } from '../../../lambdas/domain/workflow-state';
import { clustersUsingTenant } from '../../../lambdas/services/offboarding/in-use';
import { callsSince, ensure, h, mark, newTenant, planFor, rawCreate, undo, useSandbox } from '../registrations/harness';

vi.mock('../../../lambdas/services/registry/tenant-registry', () => import('../registrations/fake-registry'));

useSandbox();

/** The plan's AWS cloud account and S3 backup location, registered by their ensure steps. */
async function onboarded(plan: Plan): Promise<{ account: string; location: string }> {
  const account = (await ensure('cloudAccount', plan)).uid;
  const location = (await ensure('backupLocation', plan)).uid;
  return { account, location };
}

/** Someone else's cloud account and backup location in the same scope (not the tenant's). */
async function foreign(prefix: string, projectUid?: string): Promise<{ account: string; location: string }> {
  const credentials = { credentialType: 'secret', accessKey: 'AKIAFOREIGN000000001', secretKey: 'foreign-secret-value' };
  const account = (await rawCreate('/v1/cloudaccounts/aws', { metadata: { name: `${prefix}-aws` }, spec: credentials }, projectUid)).uid;
  const location = (
    await rawCreate(
      '/v1/users/assets/locations/s3',
      { metadata: { name: `${prefix}-s3` }, spec: { config: { bucketName: `${prefix}-backups`, region: 'us-east-1', credentials } } },
      projectUid,
    )
  ).uid;
  return { account, location };
}

describe('clustersUsingTenant', () => {
  it("reports the clusters using the tenant's cloud account or backing up to its location, in its project; reads only", async () => {
    // Prepare
    const projectUid = h().sb.palette.projectUid;
    const t = await newTenant();
    const plan = planFor(t.id, {}, { projectUid });
    const mine = await onboarded(plan);
    const theirs = await foreign(`${t.id}-other`, projectUid);
    const palette = h().sb.palette;
    const both = palette.addCluster({ name: `${t.id}-prod`, projectUid, cloudAccountUid: mine.account, backupLocationUid: mine.location });
    const backupOnly = palette.addCluster({ name: `${t.id}-nightly`, projectUid, cloudAccountUid: theirs.account, backupLocationUid: mine.location });
    const accountOnly = palette.addCluster({ name: `${t.id}-dev`, projectUid, cloudAccountUid: mine.account, state: 'Deleting' });
    palette.addCluster({ name: `${t.id}-unrelated`, projectUid, cloudAccountUid: theirs.account, backupLocationUid: theirs.location });
    palette.addCluster({ name: `${t.id}-gone`, projectUid, cloudAccountUid: mine.account, backupLocationUid: mine.location, state: 'Deleted' });
    const m = mark();
    // Act
    const uses = await clustersUsingTenant(plan);
    // Assess
    const account = `AWS cloud account '${t.id}-aws' (${mine.account})`;
    const location = `S3 backup location '${t.id}-s3' (${mine.location})`;
    expect(uses).toEqual([
      { clusterUid: accountOnly, clusterName: `${t.id}-dev`, uses: account },
      { clusterUid: backupOnly, clusterName: `${t.id}-nightly`, uses: location },
      { clusterUid: both, clusterName: `${t.id}-prod`, uses: account },
      { clusterUid: both, clusterName: `${t.id}-prod`, uses: location },
    ]);
    const calls = callsSince(m);
    expect(calls.filter((c) => !c.startsWith('GET '))).toEqual(['POST /v1/dashboard/spectroclusters/search 200']);
    expect(calls.filter((c) => c.includes('/features/backup')).sort()).toEqual([
      'GET /v1/spectroclusters/{uid}/features/backup 200',
      'GET /v1/spectroclusters/{uid}/features/backup 200',
      'GET /v1/spectroclusters/{uid}/features/backup 200',
      'GET /v1/spectroclusters/{uid}/features/backup 404',
    ]);
    expect(h().sb.palette.requests().slice(m).every((r) => r.scope === `project:${projectUid}`)).toBe(true);
  });

  it('reports nothing when no cluster uses the tenant, and skips registrations that no longer exist', async () => {
    // Prepare
    const projectUid = h().sb.palette.projectUid;
    const t = await newTenant();
    const plan = planFor(t.id, {}, { projectUid });
    const mine = await onboarded(plan);
    const theirs = await foreign(`${t.id}-other`, projectUid);
    h().sb.palette.addCluster({ name: `${t.id}-unrelated`, projectUid, cloudAccountUid: theirs.account });
    // Act
    const unused = await clustersUsingTenant(plan);
    const cluster = h().sb.palette.addCluster({ name: `${t.id}-prod`, projectUid, cloudAccountUid: mine.account, backupLocationUid: mine.location });
    await undo(plan);
    const m = mark();
    const removed = await clustersUsingTenant(plan);
    // Assess
    expect(unused).toEqual([]);
    // The cluster still points at the removed account and location: nothing of the tenant is left for it to use.
    expect(cluster).toMatch(/^[0-9a-f]{24}$/);
    expect(removed).toEqual([]);
    expect(callsSince(m).some((c) => c.includes('/dashboard/') || c.includes('/features/backup'))).toBe(false);
  });

  it("tenant scope: finds project clusters that use the tenant's tenant-scope registrations", async () => {
    // Prepare
    const projectUid = h().sb.palette.projectUid;
    const t = await newTenant();
    const plan = planFor(t.id);
    const mine = await onboarded(plan);
    const inProject = h().sb.palette.addCluster({ name: `${t.id}-in-project`, projectUid, cloudAccountUid: mine.account });
    const inTenant = h().sb.palette.addCluster({ name: `${t.id}-in-tenant`, cloudAccountUid: mine.account, backupLocationUid: mine.location });
    const m = mark();
    // Act
    const uses = await clustersUsingTenant(plan);
    // Assess
    expect(uses.map((u) => [u.clusterUid, u.uses.split(' (')[0]])).toEqual([
      [inProject, `AWS cloud account '${t.id}-aws'`],
      [inTenant, `AWS cloud account '${t.id}-aws'`],
      [inTenant, `S3 backup location '${t.id}-s3'`],
    ]);
    expect(h().sb.palette.requests().slice(m).every((r) => r.scope === 'tenant')).toBe(true);
  });
});
