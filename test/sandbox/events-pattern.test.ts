/**
 * EventBridge event-pattern semantics (local/aws/services/events/pattern.ts), table-driven from the examples of the
 * EventBridge user guide (eb-event-patterns, content filtering, null values, arrays, comparison operators) and of
 * Event Ruler's README; and target input transformation (transform.ts) from the guide's input-transformer table.
 */
import { describe, expect, it } from 'vitest';
import { EventPatternError, compileEventPattern, matchesEventPattern } from '../../local/aws/services/events/pattern';
import { evaluateJsonPath, renderTemplate, type Json } from '../../local/aws/services/events/transform';

const EC2 = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: { 'c-count': 5, 'd-count': 3, 'x-limit': 301.8, 'source-ip': '10.0.0.33', 'instance-id': 'i-000000aaaaaa00000', state: 'running' },
};

const withDetail = (detail: Record<string, unknown>) => ({ ...EC2, detail });

type Case = [name: string, pattern: unknown, event: unknown, expected: boolean];

const cases: Case[] = [
  // Simple matching: all fields (AND), any value of a field (OR), other fields ignored.
  ['exact values, any of the listed ones', { 'detail-type': ['EC2 Instance State-change Notification'], resources: EC2.resources, detail: { state: ['initializing', 'running'] } }, EC2, true],
  ['a value not listed', { detail: { state: ['stopped'] } }, EC2, false],
  ['a field missing from the event never matches a value', { detail: { missing: ['x'] } }, EC2, false],
  ['every field must match', { source: ['aws.ec2'], detail: { state: ['stopped'] } }, EC2, false],
  ['matching is character-exact (case matters)', { source: ['AWS.EC2'] }, EC2, false],
  // JSON types.
  ['a number matches the number', { detail: { 'c-count': [5] } }, EC2, true],
  ['numbers compare by value (5.0 = 5, 3.018e2 = 301.8)', { detail: { 'c-count': [5.0], 'x-limit': [3.018e2] } }, EC2, true],
  ['the string "5" is not the number 5', { detail: { 'c-count': ['5'] } }, EC2, false],
  ['true is not "true"', { detail: { flag: [true] } }, withDetail({ flag: 'true' }), false],
  ['booleans match booleans', { detail: { flag: [false] } }, withDetail({ flag: false }), true],
  // Null values and empty strings (eb-event-patterns-null-values).
  ['[""] matches an empty string', { detail: { eventVersion: [''] } }, withDetail({ eventVersion: '', responseElements: null }), true],
  ['[null] matches null', { detail: { responseElements: [null] } }, withDetail({ eventVersion: '', responseElements: null }), true],
  ['[""] does not match null', { detail: { responseElements: [''] } }, withDetail({ responseElements: null }), false],
  ['[null] does not match ""', { detail: { eventVersion: [null] } }, withDetail({ eventVersion: '' }), false],
  ['[null] does not match a missing field', { detail: { responseElements: [null] } }, withDetail({}), false],
  // Arrays (eb-event-patterns-arrays): non-empty intersection.
  [
    'an event array matches when any element is listed',
    { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f', 'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f'] },
    { ...EC2, resources: ['arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b:autoScalingGroupName/ASGTerminate', 'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f'] },
    true,
  ],
  ['an event array with no listed element', { resources: ['arn:x'] }, EC2, false],
  ['nested event arrays are flattened', { detail: { tags: ['b'] } }, withDetail({ tags: [['a'], ['b', 'c']] }), true],
  // Arrays of objects: one element must match the sub-pattern as a whole (Event Ruler's array-consistent matching).
  ['a field of one element of an array of objects', { employees: { firstName: ['Anna'] } }, { employees: [{ firstName: 'John', lastName: 'Doe' }, { firstName: 'Anna', lastName: 'Smith' }] }, true],
  ['two fields from different elements do not match together', { employees: { firstName: ['Anna'], lastName: ['Jones'] } }, { employees: [{ firstName: 'Anna', lastName: 'Smith' }, { firstName: 'Peter', lastName: 'Jones' }] }, false],
  ['two fields of the same element match', { employees: { firstName: ['Peter'], lastName: ['Jones'] } }, { employees: [[{ firstName: 'Anna', lastName: 'Smith' }], [{ firstName: 'Peter', lastName: 'Jones' }]] }, true],
  // Prefix / suffix / equals-ignore-case / wildcard.
  ['prefix', { time: [{ prefix: '2017-10-02' }] }, EC2, true],
  ['prefix that does not match', { time: [{ prefix: '2017-10-03' }] }, EC2, false],
  ['prefix only matches strings', { detail: { 'c-count': [{ prefix: '5' }] } }, EC2, false],
  ['prefix ignoring case', { source: [{ prefix: { 'equals-ignore-case': 'AWS.EC' } }] }, EC2, true],
  ['suffix', { source: [{ suffix: 'ec2' }] }, EC2, true],
  ['suffix ignoring case', { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, withDetail({ FileName: 'photo.PNG' }), true],
  ['suffix that does not match', { detail: { FileName: [{ suffix: '.png' }] } }, withDetail({ FileName: 'photo.PNG' }), false],
  ['equals-ignore-case', { source: [{ 'equals-ignore-case': 'AWS.EC2' }] }, EC2, true],
  ['wildcard', { 'detail-type': [{ wildcard: 'EC2*Notification' }] }, EC2, true],
  ['wildcard anchored at both ends', { 'detail-type': [{ wildcard: 'EC2*State' }] }, EC2, false],
  ['wildcard with several stars', { detail: { FilePath: [{ wildcard: '*/lib/*.js' }] } }, withDetail({ FilePath: 'src/lib/a.js' }), true],
  ['wildcard with dashes, dots and brackets taken literally', { detail: { v: [{ wildcard: 'us-*.[1](x)?' }] } }, withDetail({ v: 'us-east-1.[1](x)?' }), true],
  ['wildcard escaped star is literal', { detail: { v: [{ wildcard: 'a\\*b' }] } }, withDetail({ v: 'axxb' }), false],
  ['wildcard escaped star matches a star', { detail: { v: [{ wildcard: 'a\\*b' }] } }, withDetail({ v: 'a*b' }), true],
  // Anything-but.
  ['anything-but a string', { detail: { state: [{ 'anything-but': 'initializing' }] } }, EC2, true],
  ['anything-but the very value', { detail: { state: [{ 'anything-but': 'running' }] } }, EC2, false],
  ['anything-but a number', { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, EC2, true],
  ['anything-but a list of strings', { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, EC2, true],
  ['anything-but a list holding the value', { detail: { state: [{ 'anything-but': ['stopped', 'running'] }] } }, EC2, false],
  ['anything-but a list of numbers', { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, EC2, true],
  ['anything-but a number list holding the value', { detail: { 'c-count': [{ 'anything-but': [4, 5] }] } }, EC2, false],
  ['anything-but prefix', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, EC2, true],
  ['anything-but prefix of the value', { detail: { state: [{ 'anything-but': { prefix: 'run' } }] } }, EC2, false],
  ['anything-but a prefix list', { region: [{ 'anything-but': { prefix: ['us-', 'eu-'] } }] }, EC2, false],
  ['anything-but suffix', { detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } }, withDetail({ FileName: 'a.jpg' }), true],
  ['anything-but suffix of the value', { detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } }, withDetail({ FileName: 'a.png' }), false],
  ['anything-but ignoring case', { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'RUNNING' } }] } }, EC2, false],
  ['anything-but ignoring case, a list', { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'Pending'] } }] } }, EC2, true],
  ['anything-but wildcard', { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, withDetail({ FilePath: 'src/lib/a.js' }), false],
  ['anything-but wildcard, other path', { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, withDetail({ FilePath: 'src/bin/a.js' }), true],
  ['anything-but needs the field', { detail: { missing: [{ 'anything-but': 'x' }] } }, EC2, false],
  ['anything-but over an array: another element matches', { detail: { states: [{ 'anything-but': 'a' }] } }, withDetail({ states: ['a', 'b'] }), true],
  // Numeric.
  ['numeric range (>, <=)', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, EC2, true],
  ['numeric upper bound', { detail: { 'd-count': [{ numeric: ['<', 10] }] } }, EC2, true],
  ['numeric equality', { detail: { 'x-limit': [{ numeric: ['=', 3.018e2] }] } }, EC2, true],
  ['numeric exclusive bound', { detail: { 'c-count': [{ numeric: ['>', 5] }] } }, EC2, false],
  ['numeric inclusive bound', { detail: { 'c-count': [{ numeric: ['>=', 5] }] } }, EC2, true],
  ['numeric only matches numbers', { detail: { 'instance-id': [{ numeric: ['>', 0] }] } }, EC2, false],
  ['numeric does not match a numeric string', { detail: { n: [{ numeric: ['>', 0] }] } }, withDetail({ n: '5' }), false],
  // IP addresses.
  ['cidr IPv4', { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, EC2, true],
  ['cidr IPv4 outside', { detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } }, EC2, false],
  ['cidr IPv6', { detail: { ip: [{ cidr: '2001:db8::/32' }] } }, withDetail({ ip: '2001:db8:0:1::5' }), true],
  ['cidr IPv6 outside', { detail: { ip: [{ cidr: '2001:db8::/32' }] } }, withDetail({ ip: '2001:db9::1' }), false],
  ['cidr does not match a non-address', { detail: { ip: [{ cidr: '10.0.0.0/8' }] } }, withDetail({ ip: 'localhost' }), false],
  // Exists.
  ['exists true', { detail: { 'c-count': [{ exists: true }] } }, EC2, true],
  ['exists false on a present field', { detail: { 'c-count': [{ exists: false }] } }, EC2, false],
  ['exists false on a missing field', { detail: { 'e-count': [{ exists: false }] } }, EC2, true],
  ['exists false on an intermediate node (not a leaf)', { detail: { 'c-count': [{ exists: false }] } }, withDetail({ state: 'running', 'c-count': { c1: 100 } }), true],
  ['exists true on an intermediate node', { detail: { 'c-count': [{ exists: true }] } }, withDetail({ 'c-count': { c1: 100 } }), false],
  ['exists true on null', { detail: { r: [{ exists: true }] } }, withDetail({ r: null }), true],
  ['exists false on an empty array', { detail: { r: [{ exists: false }] } }, withDetail({ r: [] }), true],
  ['exists false where the parent is missing', { detail: { a: { b: [{ exists: false }] } } }, EC2, true],
  ['a leaf matcher list is an OR: exists false or a value', { detail: { s: [{ exists: false }, 'x'] } }, withDetail({ s: 'x' }), true],
  // $or.
  ['$or: one alternative matches', { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }] }, { source: 'aws.cloudwatch', namespace: 'AWS/EC2' }, true],
  ['$or: no alternative matches', { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }] }, { source: 'aws.cloudwatch', namespace: 'AWS/S3' }, false],
  ['$or never matches an event outside it (the "source" case)', { $or: [{ source: ['aws.ec2'] }, { source: ['aws.s3'] }] }, { ...EC2, source: 'my.app' }, false],
  [
    'parallel $or at two levels',
    { $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }], detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] } },
    { namespace: 'AWS/EC2', detail: { 'detail-type': 'CloudWatch Alarm State Change' } },
    true,
  ],
  [
    'nested $or with an AND inside',
    { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { metricType: ['MetricType'], namespace: ['AWS/EC2'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] }] },
    { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000 },
    true,
  ],
  [
    'nested $or whose inner alternatives fail',
    { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { metricType: ['MetricType'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] }] },
    { source: 'aws.cloudwatch', metricType: 'MetricType', spaceId: 7 },
    false,
  ],
  // The guide's complex example.
  [
    'complex example (prefix, anything-but, numeric, cidr)',
    {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
        'source-ip': [{ cidr: '10.0.0.0/8' }],
      },
    },
    EC2,
    true,
  ],
  ['a pattern object against a scalar field', { detail: { state: { name: ['running'] } } }, EC2, false],
  ['a pattern leaf against an object field', { detail: ['x'] }, EC2, false],
];

describe('event pattern matching (EventBridge documentation examples)', () => {
  it.each(cases)('%s', (_name, pattern, event, expected) => {
    expect(matchesEventPattern(pattern, event)).toBe(expected);
    // The same pattern given as JSON text (what PutRule stores) behaves the same.
    expect(matchesEventPattern(JSON.stringify(pattern), event)).toBe(expected);
  });
});

const invalid: Array<[name: string, pattern: unknown, reason: RegExp]> = [
  ['text that is not JSON', '{"source": [', /not valid JSON/],
  ['not an object', '["aws.ec2"]', /not an object/],
  ['an empty pattern', {}, /Empty objects/],
  ['a bare value instead of an array', { source: 'aws.ec2' }, /must be an object or an array/],
  ['an empty array', { source: [] }, /Empty arrays/],
  ['a nested array as a value', { source: [['a']] }, /Match value must be/],
  ['an unknown matcher', { source: [{ contains: 'ec2' }] }, /Unrecognized match type contains/],
  ['a matcher with two keys', { source: [{ prefix: 'a', suffix: 'b' }] }, /exactly one key/],
  ['prefix of a number', { source: [{ prefix: 1 }] }, /prefix match pattern/],
  ['numeric with a string', { n: [{ numeric: ['>', 'a'] }] }, /must be a number/],
  ['numeric bottom above top', { n: [{ numeric: ['>', 5, '<', 1] }] }, /bottom must be less than top/],
  ['numeric with an unknown operator', { n: [{ numeric: ['!=', 5] }] }, /unrecognized numeric range operator/],
  ['numeric "=" with a second comparison', { n: [{ numeric: ['=', 5, '<', 9] }] }, /cannot be combined/],
  ['consecutive wildcards', { s: [{ wildcard: 'a**b' }] }, /Consecutive wildcard/],
  ['a bad wildcard escape', { s: [{ wildcard: 'a\\b' }] }, /Invalid escape/],
  ['a CIDR with too many bits', { ip: [{ cidr: '10.0.0.0/33' }] }, /Nonsensical CIDR/],
  ['a CIDR that is no address', { ip: [{ cidr: 'ten/8' }] }, /Nonsensical CIDR/],
  ['exists that is not a boolean', { s: [{ exists: 'yes' }] }, /true or false/],
  ['anything-but mixing strings and numbers', { s: [{ 'anything-but': [1, 'a'] }] }, /all strings or all numbers/],
  ['anything-but with an unsupported operator', { s: [{ 'anything-but': { numeric: ['>', 1] } }] }, /Unsupported anything-but/],
  ['$or with a single alternative', { $or: [{ a: [1] }] }, /at least 2 objects/],
];

describe('invalid event patterns (InvalidEventPatternException)', () => {
  it.each(invalid)('%s', (_name, pattern, reason) => {
    expect(() => compileEventPattern(pattern)).toThrow(EventPatternError);
    expect(() => compileEventPattern(pattern)).toThrow(reason);
  });
});

describe('target input transformation (the user guide table)', () => {
  const event: Json = {
    version: '0',
    id: '7bf73129-1428-4cd3-a780-95db273d1602',
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: '123456789012',
    time: '2015-11-11T21:29:54Z',
    region: 'us-east-1',
    resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
    detail: { 'instance-id': 'i-0123456789', state: 'RUNNING', count: 5, items: [{ id: 'a' }, { id: 'b' }] },
  };
  const ctx = { event, ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example', ruleName: 'example', ingestionTime: Date.parse('2015-11-11T21:29:55Z') };
  const map = { instance: '$.detail.instance-id', state: '$.detail.state', count: '$.detail.count', missing: '$.detail.nope' };
  const render = (template: string) => renderTemplate(template, map, ctx);

  it.each([
    ['a simple string', '"instance <instance> is in <state>"', '"instance i-0123456789 is in RUNNING"'],
    ['a string with escaped quotes', '"instance \\"<instance>\\" is in <state>"', '"instance \\"i-0123456789\\" is in RUNNING"'],
    ['simple JSON (variables outside quotes become JSON values)', '{\n  "instance" : <instance>,\n  "state": <state>\n}', '{"instance":"i-0123456789","state":"RUNNING"}'],
    [
      'JSON with strings and variables',
      '{"instance" : <instance>, "state": "<state>", "instanceStatus": "instance \\"<instance>\\" is in <state>"}',
      '{"instance":"i-0123456789","state":"RUNNING","instanceStatus":"instance \\"i-0123456789\\" is in RUNNING"}',
    ],
    ['JSON with a mix of variables and static information', '{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}', '{"instance":"i-0123456789","state":[9,"RUNNING",true],"Transformed":"Yes"}'],
    ['reserved variables in a string', '"<aws.events.rule-name> triggered"', '"example triggered"'],
    ['a number outside and inside quotes', '{"n": <count>, "s": "count=<count>"}', '{"n":5,"s":"count=5"}'],
    ['a path missing from the event: null outside quotes, empty inside', '{"a": <missing>, "b": "x<missing>y"}', '{"a":null,"b":"xy"}'],
    ['plain text gets values as text', '<instance> is in state <state>', 'i-0123456789 is in state RUNNING'],
    ['an unknown placeholder is left as it is', '"<b>alert</b> <state>"', '"<b>alert</b> RUNNING"'],
    ['the ingestion time', '{"at": <aws.events.event.ingestion-time>}', '{"at":"2015-11-11T21:29:55Z"}'],
  ])('%s', (_name, template, expected) => {
    expect(render(template)).toBe(expected);
  });

  it('reserved variables in JSON: rule ARN and name, the event without detail, the whole event', () => {
    const out = JSON.parse(render('{"ruleArn": <aws.events.rule-arn>, "ruleName": <aws.events.rule-name>, "original": <aws.events.event>, "full": <aws.events.event.json>}'));
    expect(out.ruleArn).toBe(ctx.ruleArn);
    expect(out.ruleName).toBe('example');
    expect(out.original).toMatchObject({ id: '7bf73129-1428-4cd3-a780-95db273d1602', source: 'aws.ec2' });
    expect(out.original.detail).toBeUndefined();
    expect(out.full).toEqual(event);
  });

  it('JSON paths: dots, dashes, indices, brackets and wildcards', () => {
    expect(evaluateJsonPath(event, '$')).toEqual(event);
    expect(evaluateJsonPath(event, '$.detail.instance-id')).toBe('i-0123456789');
    expect(evaluateJsonPath(event, '$.resources[0]')).toBe('arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111');
    expect(evaluateJsonPath(event, "$['detail']['state']")).toBe('RUNNING');
    expect(evaluateJsonPath(event, '$.detail.items[*].id')).toEqual(['a', 'b']);
    expect(evaluateJsonPath(event, '$.detail.nope')).toBeUndefined();
    expect(evaluateJsonPath(event, '$.resources[5]')).toBeUndefined();
  });
});
