/**
 * How the functions that call Palette reach it (README "Self-hosted Palette in a private network"):
 *
 * - `paletteVpc`: they run in the configured VPC (subnets, security groups), imported by id, so synthesis stays
 *   offline; every other function stays outside any VPC. Lambda creates the functions' network interfaces with their
 *   own role: the permissions of AWS's managed AWSLambdaVPCAccessExecutionRole are granted inline instead (cdk-nag
 *   AwsSolutions-IAM4 forbids AWS managed policies), the mutating ones only in the stack's region. In the VPC the
 *   functions reach the AWS APIs they call (STS, Secrets Manager, SSM, DynamoDB, IAM, S3, Organizations, CloudWatch)
 *   only through a NAT gateway or VPC endpoints: the deployer provides them (nothing here can check a route).
 * - `paletteCaBundle`: they may read the CA bundle (the secret, or the SSM parameter), nothing more; the Lambda
 *   environment names it (PALETTE_CA_BUNDLE) for every function, but only these can read it.
 *
 * Which functions call Palette is declared where they are: the workflow functions with the `paletteApiKey` grant
 * (constructs/onboarding-functions.ts), the platform functions that use the system console secret
 * (constructs/platform-setup.ts); test/cdk/palette-connection.test.ts checks that this is exactly the set of handlers
 * whose bundle contains the Palette client.
 */
import { Annotations, Fn, aws_ec2 as ec2, type aws_lambda as lambda } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { parsePaletteCaSource } from '../../../lambdas/domain/palette-ca';
import type { OnboardingConfig } from '../config';
import type { Grant } from '../permissions';

/** What a Palette-calling function needs from the stack config. */
export type PaletteConnection = Pick<OnboardingConfig, 'paletteVpc' | 'paletteCaBundle'>;

/** The VPC properties of a Palette-calling function (none without `paletteVpc`); the imports live in `scope`. */
export function paletteVpcProps(scope: Construct, connection: PaletteConnection): Pick<lambda.FunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'> {
  const placement = connection.paletteVpc;
  if (!placement) return {};
  // The region's AZs (a token): never used to pick subnets, which are selected by id.
  const vpc = ec2.Vpc.fromVpcAttributes(scope, 'PaletteVpc', { vpcId: placement.vpcId, availabilityZones: Fn.getAzs() });
  Annotations.of(vpc).acknowledgeWarning(
    '@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones',
    'paletteVpc: the subnets are selected by id; the VPC\'s availability zones are not used.',
  );
  return {
    vpc,
    vpcSubnets: {
      subnets: placement.subnetIds.map((id) => {
        const subnet = ec2.Subnet.fromSubnetId(scope, `PaletteSubnet-${id}`, id);
        // Nothing here reads the subnet's route table (no routes, no endpoints are added by this stack).
        Annotations.of(subnet).acknowledgeWarning('@aws-cdk/aws-ec2:noSubnetRouteTableId', 'paletteVpc: the subnet is only named in the function\'s VpcConfig; its route table is not used.');
        return subnet;
      }),
    },
    securityGroups: placement.securityGroupIds.map((id) => ec2.SecurityGroup.fromSecurityGroupId(scope, `PaletteSecurityGroup-${id}`, id, { mutable: false })),
  };
}

/** The grants of a Palette-calling function: network interfaces in the VPC, reading the CA bundle. */
export function paletteConnectionGrants(connection: PaletteConnection): Grant[] {
  const grants: Grant[] = [];
  if (connection.paletteVpc) {
    grants.push(
      {
        sid: 'PaletteVpcDescribe',
        actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
        resources: [() => '*'],
        wildcardReason:
          'Lambda in a VPC (paletteVpc): ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets have no resource-level permissions (AWS Lambda developer guide, "Giving Lambda functions access to resources in an Amazon VPC").',
      },
      {
        sid: 'PaletteVpcNetworkInterfaces',
        actions: ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        // The subnets may be shared from another account (a shared VPC): any account, this region only.
        resources: [(e) => `arn:${e.partition}:ec2:${e.region}:*:*`],
        wildcardReason:
          "Lambda in a VPC (paletteVpc): Lambda creates and deletes the functions' network interfaces (ids not known before) in the configured subnets, which may be shared from another account; this region only.",
      },
    );
  }
  const configured = connection.paletteCaBundle;
  if (configured) {
    const source = parsePaletteCaSource(configured);
    if ('problem' in source) throw new Error(`paletteCaBundle: ${source.problem}`);
    if (source.kind === 'secret') {
      const id = source.secretId;
      grants.push({
        sid: 'ReadPaletteCaBundle',
        actions: ['secretsmanager:GetSecretValue'],
        // An ARN may be complete or partial; a name is matched with the random suffix Secrets Manager appends.
        resources: id.startsWith('arn:')
          ? [() => id, () => `${id}-??????`]
          : [(e) => `arn:${e.partition}:secretsmanager:${e.region}:${e.account}:secret:${id}-??????`],
        wildcardReason: 'The Palette CA bundle secret: "-??????" only matches the random 6-character suffix Secrets Manager appends to the secret name.',
      });
    } else {
      const name = source.name;
      grants.push({
        sid: 'ReadPaletteCaBundle',
        actions: ['ssm:GetParameter'],
        // A parameter's ARN names it without the leading slash of a hierarchical name.
        resources: name.startsWith('arn:') ? [() => name] : [(e) => `arn:${e.partition}:ssm:${e.region}:${e.account}:parameter/${name.replace(/^\//, '')}`],
      });
    }
  }
  return grants;
}
