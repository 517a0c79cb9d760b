/**
 * Bulk onboarding's pure parts: reading a manifest (a JSON Lines file or a folder of request files, validated before
 * anything starts), the execution name of a run, the rows read back from ResultWriter's files, the progress bar and
 * the result table's exit code.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bulkExecutionName, bulkExitCode, formatBulkProgress, formatBulkTable, manifestText, readManifest } from '../../cli/bulk';
import { RequestFileError } from '../../cli/request';
import { resultRows, resultsManifestKey } from '../../lambdas/domain/bulk-manifest';

const req = (tenantId: string, accountId = '111111111111', region = 'us-east-1') => ({ tenantId, aws: { accountId, region, credentialMode: 'sts' } });
const dir = () => mkdtempSync(join(tmpdir(), 'bulk-manifest-'));
const plain = { ok: (s: string) => s, bad: (s: string) => s, dim: (s: string) => s, bold: (s: string) => s };

describe('readManifest', () => {
  it('reads a folder: its *.json files in name order, one request each, sub-folders and other files ignored', () => {
    const d = dir();
    writeFileSync(join(d, 'b.json'), JSON.stringify(req('beta')));
    writeFileSync(join(d, 'a.json'), JSON.stringify(req('alpha')));
    writeFileSync(join(d, 'notes.txt'), 'not a request');
    mkdirSync(join(d, 'nested.json'));
    const entries = readManifest(d);
    expect(entries.map((e) => (e.request as { tenantId: string }).tenantId)).toEqual(['alpha', 'beta']);
    expect(entries[0]?.source).toMatch(/a\.json$/);
  });

  it('reads a JSON Lines file: one request per non-empty line, sources naming the line', () => {
    const d = dir();
    const file = join(d, 'fleet.jsonl');
    writeFileSync(file, `${JSON.stringify(req('alpha'))}\n\n${JSON.stringify(req('beta'))}\r\n`);
    const entries = readManifest(file);
    expect(entries.map((e) => e.source)).toEqual(['fleet.jsonl:1', 'fleet.jsonl:3']);
    expect(manifestText(entries)).toBe(`${JSON.stringify(req('alpha'))}\n${JSON.stringify(req('beta'))}\n`);
  });

  it('refuses the whole manifest, listing every problem: not JSON, an invalid request, a tenant twice', () => {
    const d = dir();
    const file = join(d, 'bad.jsonl');
    writeFileSync(file, [JSON.stringify(req('alpha')), '{not json', JSON.stringify(req('beta', '12')), JSON.stringify(req('alpha', '222222222222'))].join('\n'));
    let error: unknown;
    try {
      readManifest(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RequestFileError);
    const message = (error as Error).message;
    expect(message).toContain('3 problem(s)');
    expect(message).toContain('bad.jsonl:2: not JSON');
    expect(message).toMatch(/bad\.jsonl:3 is not a valid onboarding request:\n\s+- aws\.accountId/);
    expect(message).toContain("bad.jsonl:4: tenant 'alpha' is already requested by bad.jsonl:1");
  });

  it('refuses an empty folder and a missing path', () => {
    expect(() => readManifest(dir())).toThrow(/holds no request/);
    expect(() => readManifest(join(dir(), 'missing.jsonl'))).toThrow(/manifest not found/);
  });

  it('the examples/fleet folder is a valid manifest of five distinct tenants', () => {
    const entries = readManifest(new URL('../../examples/fleet', import.meta.url).pathname);
    expect(entries).toHaveLength(5);
    const accounts = entries.map((e) => (e.request as { aws: { accountId: string } }).aws.accountId);
    expect(new Set(accounts).size).toBe(5);
  });
});

describe('run names and results', () => {
  it('names a run after its time and manifest', () => {
    expect(bulkExecutionName('x\n', new Date('2026-12-02T18:00:14.123Z'))).toMatch(/^bulk-20261202T180014Z-[0-9a-f]{8}$/);
    expect(bulkExecutionName('x\n', new Date(0))).not.toBe(bulkExecutionName('y\n', new Date(0)));
  });

  it("finds ResultWriter's manifest of a map run", () => {
    expect(resultsManifestKey('arn:aws:states:us-east-1:123456789012:mapRun:Bulk/Lines:0f1e2d3c-aaaa-bbbb-cccc-1234567890ab')).toBe(
      'results/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab/manifest.json',
    );
  });

  it('reads rows from result entries: onboarded, already started, a failed child (its own error), an item error, a pending item', () => {
    const ok = resultRows('SUCCEEDED', [
      { Input: JSON.stringify({ request: req('alpha') }), Output: JSON.stringify({ tenantId: 'alpha', executionName: 'alpha-1', outcome: 'onboarded' }) },
      { Input: JSON.stringify({ request: req('beta') }), Output: JSON.stringify({ tenantId: 'beta', executionName: 'beta-1', outcome: 'already-started' }) },
    ]);
    expect(ok).toEqual([
      { tenantId: 'alpha', outcome: 'onboarded', executionName: 'alpha-1', status: 'SUCCEEDED' },
      { tenantId: 'beta', outcome: 'already-started', executionName: 'beta-1' },
    ]);
    const child = { Name: 'gamma-1', Status: 'FAILED', Error: 'TenantBusyError', Cause: JSON.stringify({ errorType: 'TenantBusyError', errorMessage: 'tenant gamma is held by x' }) };
    const failed = resultRows('FAILED', [
      { Input: JSON.stringify({ request: req('gamma') }), Error: 'States.TaskFailed', Cause: JSON.stringify(child) },
      { Input: JSON.stringify({ key: 'manifests/run/broken.json' }), Error: 'States.Runtime', Cause: 'not JSON' },
    ]);
    expect(failed).toEqual([
      { tenantId: 'gamma', outcome: 'failed', executionName: 'gamma-1', status: 'FAILED', error: 'TenantBusyError: tenant gamma is held by x' },
      { tenantId: 'manifests/run/broken.json', outcome: 'failed', error: 'States.Runtime: not JSON' },
    ]);
    expect(resultRows('PENDING', [{ Input: JSON.stringify({ request: req('delta') }) }])).toEqual([{ tenantId: 'delta', outcome: 'not-started' }]);
    expect(bulkExitCode(ok)).toBe(0);
    expect(bulkExitCode([...ok, ...failed])).toBe(1);
    expect(bulkExitCode([])).toBe(1);
  });

  it('draws the progress bar with done, failed, running and the rate', () => {
    const line = formatBulkProgress({ total: 20, succeeded: 9, failed: 1, running: 4, pending: 6 }, 50_000, 10);
    expect(line).toBe('[█████░░░░░] 10/20  done 9  failed 1  running 4  12.0/min  0:50');
  });

  it('tabulates every tenant with the totals', () => {
    const text = formatBulkTable(
      [
        { tenantId: 'alpha', outcome: 'onboarded', executionName: 'alpha-1', status: 'SUCCEEDED' },
        { tenantId: 'gamma', outcome: 'failed', executionName: 'gamma-1', status: 'FAILED', error: 'TenantBusyError: busy' },
      ],
      plain,
    );
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TENANT\s+OUTCOME\s+STATUS\s+EXECUTION\s+ERROR$/);
    expect(lines[2]).toMatch(/^gamma\s+failed\s+FAILED\s+gamma-1\s+TenantBusyError: busy$/);
    expect(lines[3]).toBe('2 tenant(s): 1 onboarded, 0 already started (not started again), 1 failed');
  });
});

describe('start --many arguments', () => {
  it('takes the manifest as its value, with --concurrency and --tolerate, and refuses what does not apply', async () => {
    const { parseArgs } = await import('../../cli/args');
    expect(parseArgs(['start', '--many', 'examples/fleet/', '--local', '--concurrency', '4', '--tolerate', '20%'])).toMatchObject({
      command: 'start',
      file: 'examples/fleet/',
      local: true,
      many: { maxConcurrency: 4, toleratedFailurePercentage: 20 },
    });
    expect(() => parseArgs(['start', 'a.json', '--many', 'b.jsonl'])).toThrow(/no request file/);
    expect(() => parseArgs(['start', '--many', 'b.jsonl', '--rerun', 'x'])).toThrow(/--rerun does not apply/);
    expect(() => parseArgs(['start', 'a.json', '--concurrency', '3'])).toThrow(/apply to start --many only/);
    expect(() => parseArgs(['start', '--many', 'b.jsonl', '--concurrency', '0'])).toThrow(/1 to 1000/);
    expect(() => parseArgs(['start', '--many', 'b.jsonl', '--tolerate', '101'])).toThrow(/0 to 100/);
  });
});
