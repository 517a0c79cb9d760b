/**
 * Reaching a self-hosted Palette in a private network (cdk/lib/constructs/palette-connection.ts): with `paletteVpc`
 * the functions that call Palette, and only they, run in the configured subnets with the configured security groups;
 * their roles may manage the functions' network interfaces (inline, no AWS managed policy) and read the CA bundle;
 * no other role may; cdk-nag stays clean. "Calls Palette" is checked against the code: the handlers whose bundle
 * contains the Palette client.
 */
import { build, type Plugin } from 'esbuild';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { paletteConnectionGrants } from '../../cdk/lib/constructs/palette-connection';
import { absoluteFromRoot } from '../../cdk/lib/paths';
import { asArray, renderResource, resourcesOfType, statementsOfRole, synthesize, type CfnResource, type IamStatement, type Synthesized } from './helpers';

const VPC = {
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
  securityGroupIds: ['sg-0123456789abcdef0', 'sg-0aaaabbbbccccdddd'],
};
const CA_PARAMETER = 'ssm:/palette-onboarding/palette-ca';
const CA_SECRET = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:palette-ca-AbCdEf';

let inVpc: Synthesized;
/** The handlers whose bundle contains the Palette client (buildGraph). */
let calling: Set<string>;

beforeAll(async () => {
  calling = await buildGraph();
  inVpc = synthesize({ skipBundling: true, context: { selfHosted: true, paletteVpc: VPC, paletteCaBundle: CA_PARAMETER } });
}, 180_000);

/**
 * The handlers (lambdas/handlers/<name>.ts) whose bundle contains the Palette client: esbuild's own dependency graph,
 * one build of every handler (packages left out: they cannot reach the client).
 */
async function buildGraph(): Promise<Set<string>> {
  const dir = absoluteFromRoot('lambdas/handlers');
  const names = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
  // Packages stay outside the build (none can reach the Palette client) and count as free of side effects, so an
  // import nothing uses is shaken off as in the real bundles: a handler "contains" the client when its code is there.
  const packagesOutside: Plugin = {
    name: 'packages-outside',
    setup: (b) => b.onResolve({ filter: /^[^./]/ }, (args) => ({ path: args.path, external: true, sideEffects: false })),
  };
  const result = await build({
    entryPoints: Object.fromEntries(names.map((n) => [n, join(dir, `${n}.ts`)])),
    outdir: join(tmpdir(), 'palette-connection-test'),
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    plugins: [packagesOutside],
    logLevel: 'silent',
  });
  const out = new Set<string>();
  for (const [file, meta] of Object.entries(result.metafile.outputs)) {
    const client = Object.entries(meta.inputs).find(([input]) => input.endsWith('lambdas/services/palette/client.ts'));
    if (meta.entryPoint && client && client[1].bytesInOutput > 0) out.add(file.replace(/^.*\//, '').replace(/\.js$/, ''));
  }
  return out;
}

type Fn = { id: string; handler: string; props: Record<string, unknown>; resource: CfnResource };
function functions(s: Synthesized): Fn[] {
  return resourcesOfType(s.json, 'AWS::Lambda::Function').map(([id, r]) => ({
    id,
    handler: String(r.Metadata?.['palette-onboarding:handler'] ?? '').replace(/^lambdas\/handlers\/|\.ts$/g, ''),
    props: r.Properties ?? {},
    resource: r,
  }));
}
const roleOf = (fn: Fn): string => {
  const role = fn.props.Role as { 'Fn::GetAtt'?: [string, string] };
  const id = role['Fn::GetAtt']?.[0];
  if (!id) throw new Error(`${fn.id} has no role of this stack`);
  return id;
};
const actionsOf = (statements: IamStatement[]): string[] => statements.flatMap((st) => asArray(st.Action));
const ourFunctions = (s: Synthesized) => functions(s).filter((f) => f.handler !== '');

describe('paletteVpc', () => {
  it('exactly the functions whose code calls Palette run in the VPC, with the configured subnets and security groups', () => {
    // The workflow's Palette steps and the platform setup's system-console steps, at least.
    expect([...calling]).toEqual(expect.arrayContaining(['read-palette-identity', 'ensure-registration', 'revalidate-tenant', 'check-tenant-in-use', 'platform-configure-reverse-proxy']));
    const fns = ourFunctions(inVpc);
    const placed = fns.filter((f) => f.props.VpcConfig !== undefined);
    expect(new Set(placed.map((f) => f.handler))).toEqual(new Set(fns.map((f) => f.handler).filter((h) => calling.has(h))));
    expect(placed.length).toBeGreaterThan(10);
    for (const f of placed) expect(f.props.VpcConfig, f.id).toEqual({ SubnetIds: VPC.subnetIds, SecurityGroupIds: VPC.securityGroupIds });
    // Functions outside this project's handlers (the Provider framework's) stay outside any VPC too.
    for (const f of functions(inVpc).filter((x) => x.handler === '')) expect(f.props.VpcConfig, f.id).toBeUndefined();
  });

  it('nothing is created in the VPC: no security group, no AWS managed VPC policy (the network-interface permissions are inline)', () => {
    expect(resourcesOfType(inVpc.json, 'AWS::EC2::SecurityGroup')).toEqual([]);
    expect(resourcesOfType(inVpc.json, 'AWS::EC2::SecurityGroupEgress')).toEqual([]);
    for (const f of ourFunctions(inVpc)) {
      expect(inVpc.json.Resources[roleOf(f)]?.Properties?.ManagedPolicyArns, f.id).toBeUndefined();
    }
    expect(JSON.stringify(inVpc.json)).not.toContain('AWSLambdaVPCAccessExecutionRole');
  });

  it("a placed function's role may manage network interfaces (describe: any; change: this region), and its policy exists before the function", () => {
    for (const f of ourFunctions(inVpc).filter((x) => x.props.VpcConfig !== undefined)) {
      const role = roleOf(f);
      const statements = statementsOfRole(inVpc.json, role);
      const describe = statements.find((st) => st.Sid === 'PaletteVpcDescribe');
      const manage = statements.find((st) => st.Sid === 'PaletteVpcNetworkInterfaces');
      expect(asArray(describe?.Action).sort(), f.id).toEqual(['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets']);
      expect(asArray(manage?.Action).sort(), f.id).toEqual(['ec2:AssignPrivateIpAddresses', 'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:UnassignPrivateIpAddresses']);
      expect(asArray(manage?.Resource).map(renderResource)).toEqual(['arn:${AWS::Partition}:ec2:${AWS::Region}:*:*']);
      // Lambda creates the network interfaces with the role when the function is created: the policy comes first.
      const policies = resourcesOfType(inVpc.json, 'AWS::IAM::Policy').filter(([, p]) => asArray(p.Properties?.Roles as unknown[]).some((r) => renderResource(r) === `\${${role}}`));
      expect(policies.length, f.id).toBeGreaterThan(0);
      for (const [policyId] of policies) expect(asArray(f.resource.DependsOn as string | string[] | undefined), f.id).toContain(policyId);
    }
  });

  it('no other role has any EC2 permission', () => {
    for (const f of ourFunctions(inVpc).filter((x) => x.props.VpcConfig === undefined)) {
      expect(actionsOf(statementsOfRole(inVpc.json, roleOf(f))).filter((a) => a.startsWith('ec2:')), f.id).toEqual([]);
    }
  });

  it('without paletteVpc a Palette-calling function gets no VPC and no EC2 permission (test/cdk/functions.test.ts: none in the default synth)', () => {
    expect(paletteConnectionGrants({ paletteCaBundle: CA_SECRET }).flatMap((g) => g.actions).filter((a) => a.startsWith('ec2:'))).toEqual([]);
    expect(paletteConnectionGrants({})).toEqual([]);
  });
});

describe('paletteCaBundle', () => {
  const readers = (s: Synthesized) =>
    ourFunctions(s)
      .filter((f) => statementsOfRole(s.json, roleOf(f)).some((st) => st.Sid === 'ReadPaletteCaBundle'))
      .map((f) => f.handler);

  it('every function with the shared environment gets PALETTE_CA_BUNDLE; only the Palette-calling ones may read it', () => {
    const variables = (f: Fn) => (f.props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const shared = ourFunctions(inVpc).filter((f) => variables(f).PALETTE_ENDPOINT !== undefined);
    for (const f of ourFunctions(inVpc).filter((x) => calling.has(x.handler))) expect(shared.map((x) => x.id), f.id).toContain(f.id);
    for (const f of shared) expect(variables(f).PALETTE_CA_BUNDLE, f.id).toBe(CA_PARAMETER);
    expect(new Set(readers(inVpc))).toEqual(new Set(ourFunctions(inVpc).map((f) => f.handler).filter((h) => calling.has(h))));
  });

  it('the grant names the one parameter or secret: ssm:GetParameter / secretsmanager:GetSecretValue, nothing else', () => {
    const f = ourFunctions(inVpc).find((x) => x.handler === 'read-palette-identity');
    if (!f) throw new Error('no read-palette-identity');
    const grant = statementsOfRole(inVpc.json, roleOf(f)).find((st) => st.Sid === 'ReadPaletteCaBundle');
    expect(asArray(grant?.Action)).toEqual(['ssm:GetParameter']);
    expect(asArray(grant?.Resource).map(renderResource)).toEqual(['arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/palette-onboarding/palette-ca']);
    const env = { partition: 'aws', region: 'eu-west-1', account: '111122223333' };
    const render = (configured: string) => paletteConnectionGrants({ paletteCaBundle: configured }).map((g) => ({ sid: g.sid, actions: g.actions, resources: g.resources.map((r) => r(env)) }));
    expect(render(CA_SECRET)).toEqual([{ sid: 'ReadPaletteCaBundle', actions: ['secretsmanager:GetSecretValue'], resources: [CA_SECRET, `${CA_SECRET}-??????`] }]);
    expect(render('secretsmanager:palette-onboarding/palette-ca')).toEqual([
      { sid: 'ReadPaletteCaBundle', actions: ['secretsmanager:GetSecretValue'], resources: ['arn:aws:secretsmanager:eu-west-1:111122223333:secret:palette-onboarding/palette-ca-??????'] },
    ]);
    expect(render('ssm:palette-ca')).toEqual([{ sid: 'ReadPaletteCaBundle', actions: ['ssm:GetParameter'], resources: ['arn:aws:ssm:eu-west-1:111122223333:parameter/palette-ca'] }]);
    const arn = 'arn:aws:ssm:eu-west-1:444455556666:parameter/shared/palette-ca';
    expect(render(arn)).toEqual([{ sid: 'ReadPaletteCaBundle', actions: ['ssm:GetParameter'], resources: [arn] }]);
  });
});

describe('cdk-nag', () => {
  it('AwsSolutions stays clean with a VPC and a CA bundle', () => {
    const report = new AwsSolutionsChecks(inVpc.stack).validateScope(inVpc.stack) as { violations: { ruleName: string; violatingResources: unknown[] }[] };
    expect(report.violations).toEqual([]);
  });
});
