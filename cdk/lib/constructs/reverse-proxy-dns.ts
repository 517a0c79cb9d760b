import { Duration, aws_route53 as route53 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { ReverseProxyDnsConfig } from '../config';

/**
 * Seed 001 step 5: the CNAME from the reverse proxy's host name to the proxy's load balancer, in the configured
 * Route 53 hosted zone (config `reverseProxyDns`). CloudFormation owns the record (created, changed and deleted with
 * the stack); a record of that name that someone else created makes the deployment fail rather than be overwritten
 * (CloudFormation's CREATE of an existing record set), so nothing that is not ours is touched.
 */
export class ReverseProxyDns extends Construct {
  readonly record: route53.CnameRecord;

  constructor(scope: Construct, id: string, props: { dns: ReverseProxyDnsConfig }) {
    super(scope, id);
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: props.dns.hostedZoneId,
      zoneName: props.dns.zoneName,
    });
    this.record = new route53.CnameRecord(this, 'Record', {
      zone,
      recordName: `${props.dns.recordName}.`,
      domainName: props.dns.loadBalancerHost,
      ttl: Duration.minutes(5),
      comment: 'palette-onboarding: Palette reverse proxy (seed 001 step 5)',
    });
  }
}
