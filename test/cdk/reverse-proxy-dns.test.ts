/**
 * Seed 001 step 5 as infrastructure (config `reverseProxyDns`, cdk/lib/constructs/reverse-proxy-dns.ts): one Route 53
 * CNAME from the reverse proxy's host name to its load balancer, owned by the stack; absent without the config; the
 * config's mistakes named at synth; cdk-nag clean.
 */
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../cdk/lib/config';
import { resourcesOfType, synthesize, type Synthesized } from './helpers';

const PROXY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ops/palette-reverse-proxy';
const DNS = { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'palette.example.com', recordName: 'frps.palette.example.com', loadBalancerHost: 'a1b2c3-123.us-east-1.elb.amazonaws.com' };

let withDns: Synthesized;
let withoutDns: Synthesized;
beforeAll(() => {
  // As `-c reverseProxyDns='{...}'` gives it: JSON text.
  withDns = synthesize({ skipBundling: true, context: { selfHosted: 'true', reverseProxySecretArn: PROXY_ARN, reverseProxyDns: JSON.stringify(DNS) } });
  withoutDns = synthesize({ skipBundling: true, context: { selfHosted: 'true', reverseProxySecretArn: PROXY_ARN } });
}, 180_000);

describe('the reverse proxy DNS record', () => {
  it('is one CNAME from the proxy host name to the load balancer, in the configured zone', () => {
    const records = resourcesOfType(withDns.json, 'AWS::Route53::RecordSet');
    expect(records).toHaveLength(1);
    expect(records[0]?.[1].Properties).toMatchObject({
      Type: 'CNAME',
      Name: 'frps.palette.example.com.',
      HostedZoneId: DNS.hostedZoneId,
      ResourceRecords: [DNS.loadBalancerHost],
      TTL: '300',
    });
  });

  it('is not created without the config', () => {
    expect(resourcesOfType(withoutDns.json, 'AWS::Route53::RecordSet')).toEqual([]);
  });

  it('adds no cdk-nag finding', () => {
    const report = new AwsSolutionsChecks(withDns.stack).validateScope(withDns.stack) as { violations: { ruleName: string }[] };
    expect(report.violations).toEqual([]);
  });
});

describe('config mistakes are named at synth', () => {
  const messageOf = (raw: Record<string, unknown>): string => {
    try {
      parseConfig(raw);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('no ConfigError');
  };
  const selfHosted = { selfHosted: true, reverseProxySecretArn: PROXY_ARN };

  it('a record outside the zone, at its apex, or pointing at itself', () => {
    expect(messageOf({ ...selfHosted, reverseProxyDns: { ...DNS, recordName: 'frps.other.example.org' } })).toMatch(/"reverseProxyDns": must be in the hosted zone palette\.example\.com \(at recordName\)/);
    expect(messageOf({ ...selfHosted, reverseProxyDns: { ...DNS, recordName: 'palette.example.com' } })).toMatch(/"reverseProxyDns": a CNAME cannot be at the zone apex/);
    expect(messageOf({ ...selfHosted, reverseProxyDns: { ...DNS, loadBalancerHost: DNS.recordName } })).toMatch(/"reverseProxyDns": must differ from recordName/);
  });

  it('a bad zone id, a bad host name, an unknown key', () => {
    expect(messageOf({ ...selfHosted, reverseProxyDns: { ...DNS, hostedZoneId: 'zone-1' } })).toMatch(/"reverseProxyDns": must be a Route 53 hosted zone id \(Z\.\.\.\) \(at hostedZoneId\)/);
    expect(messageOf({ ...selfHosted, reverseProxyDns: { ...DNS, loadBalancerHost: 'not a host' } })).toMatch(/must be a DNS name such as proxy\.example\.com \(at loadBalancerHost\)/);
    expect(messageOf({ ...selfHosted, reverseProxyDns: { ...DNS, ttl: 60 } })).toMatch(/"reverseProxyDns": .*ttl/i);
  });

  it('only with a self-hosted Palette whose reverse proxy this deployment configures', () => {
    expect(messageOf({ reverseProxyDns: DNS })).toMatch(/"reverseProxyDns": only with selfHosted and reverseProxySecretArn/);
    expect(messageOf({ selfHosted: true, reverseProxyDns: DNS })).toMatch(/"reverseProxyDns": only with selfHosted and reverseProxySecretArn/);
    expect(parseConfig({ ...selfHosted, reverseProxyDns: { ...DNS, recordName: 'FRPS.Palette.Example.com.' } }).reverseProxyDns?.recordName).toBe('frps.palette.example.com');
  });
});
