/**
 * The local runner's Distributed Map (local/runner/distributed-map.ts) and its States.Hash (intrinsics.ts), without a
 * sandbox: an in-memory S3 stands in for the sandbox's, items run through a stub. What is checked is Step Functions'
 * documented behaviour: ItemReader (JSONL object, listObjectsV2 pages), ItemSelector with $$.Map.Item, MaxConcurrency,
 * the tolerated-failure threshold (no new item once exceeded; States.ExceedToleratedFailureThreshold after the results
 * are written), ResultWriter's files, and the rewrite of the definition.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import {
  DISTRIBUTED_MAP_RESOURCE,
  exceedsTolerance,
  parseReaderObject,
  rewriteDistributedMaps,
  runDistributedMap,
  type DistributedMapState,
  type ItemOutcome,
} from '../../local/runner/distributed-map';
import type { AslDefinitionLike } from '../../local/runner/execute';
import { evaluateWithHashes, HASH_PASS_RESOURCE, rewriteHashPasses } from '../../local/runner/intrinsics';

/** An in-memory S3 answering the three commands the Distributed Map uses (listObjectsV2 pages of `pageSize`). */
function memoryS3(objects: Record<string, string> = {}, pageSize = 1000) {
  const store = new Map(Object.entries(objects));
  const client = {
    store,
    async send(cmd: unknown): Promise<unknown> {
      if (cmd instanceof GetObjectCommand) {
        const body = store.get(`${cmd.input.Bucket}/${cmd.input.Key}`);
        if (body === undefined) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
        return { Body: { transformToString: async () => body } };
      }
      if (cmd instanceof PutObjectCommand) {
        store.set(`${cmd.input.Bucket}/${cmd.input.Key}`, String(cmd.input.Body));
        return {};
      }
      if (cmd instanceof ListObjectsV2Command) {
        const keys = [...store.keys()].filter((k) => k.startsWith(`${cmd.input.Bucket}/${cmd.input.Prefix ?? ''}`)).sort();
        const start = Number(cmd.input.ContinuationToken ?? 0);
        const page = keys.slice(start, start + pageSize);
        return {
          Contents: page.map((k) => ({ Key: k.slice(String(cmd.input.Bucket).length + 1), ETag: '"e"', Size: store.get(k)?.length, LastModified: new Date(0) })),
          IsTruncated: start + pageSize < keys.length,
          NextContinuationToken: String(start + pageSize),
        };
      }
      throw new Error(`unexpected command ${String(cmd)}`);
    },
  };
  return client as typeof client & S3Client;
}

const processor = { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };
const linesMap = (extra: Partial<DistributedMapState> = {}): DistributedMapState => ({
  Type: 'Map',
  ItemProcessor: processor as DistributedMapState['ItemProcessor'],
  ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSONL' }, Parameters: { Bucket: 'b', 'Key.$': '$.key' } },
  ItemSelector: { 'value.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index', 'run.$': '$.run' },
  ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'b', Prefix: 'results' } },
  ...extra,
});
const execution = { arn: 'arn:aws:states:us-east-1:000000000000:execution:Bulk:run-1', stateMachineName: 'Bulk', region: 'us-east-1', accountId: '000000000000', partition: 'aws' };
const done = (status: ItemOutcome['status'], output?: unknown): ItemOutcome => ({ status, ...(output !== undefined ? { output } : { error: 'Boom', cause: 'it failed' }), startedAt: 0, stoppedAt: 1 });
const jsonl = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ n: i })).join('\n');

describe('Distributed Map (local runner)', () => {
  it('reads a JSONL manifest, selects each item with $$.Map.Item, writes the results and answers MapRunArn + ResultWriterDetails', async () => {
    const s3 = memoryS3({ 'b/manifests/m.jsonl': `${jsonl(3)}\n\n` });
    const inputs: unknown[] = [];
    const { result, run } = await runDistributedMap({
      state: 'OnboardAll',
      definition: linesMap({ Label: 'Lines' }),
      input: { key: 'manifests/m.jsonl', run: 'r1' },
      context: {},
      execution,
      s3,
      runItem: async (input) => {
        inputs.push(input);
        return done('SUCCEEDED', { got: (input as { index: number }).index });
      },
    });
    expect(inputs).toEqual([0, 1, 2].map((i) => ({ value: { n: i }, index: i, run: 'r1' })));
    expect(run.mapRunArn).toMatch(/^arn:aws:states:us-east-1:000000000000:mapRun:Bulk\/Lines:[0-9a-f-]{36}$/);
    expect(run.itemCounts).toEqual({ pending: 0, running: 0, succeeded: 3, failed: 0, timedOut: 0, aborted: 0, total: 3, resultsWritten: 3 });
    const id = run.mapRunArn.split(':').at(-1);
    expect(result).toEqual({ MapRunArn: run.mapRunArn, ResultWriterDetails: { Bucket: 'b', Key: `results/${id}/manifest.json` } });
    const manifest = JSON.parse(s3.store.get(`b/results/${id}/manifest.json`) as string);
    expect(manifest).toEqual({
      DestinationBucket: 'b',
      MapRunArn: run.mapRunArn,
      ResultFiles: { FAILED: [], PENDING: [], SUCCEEDED: [{ Key: `results/${id}/SUCCEEDED_0.json`, Size: expect.any(Number) }] },
    });
    const entries = JSON.parse(s3.store.get(`b/results/${id}/SUCCEEDED_0.json`) as string);
    expect(entries[1]).toMatchObject({ Status: 'SUCCEEDED', Input: JSON.stringify(inputs[1]), Output: JSON.stringify({ got: 1 }), StateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Bulk' });
  });

  it('lists a folder with listObjectsV2 over every page', async () => {
    const objects = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`b/manifests/run/t${i}.json`, '{}']));
    const s3 = memoryS3({ ...objects, 'b/other/x.json': '{}' }, 2);
    const keys: unknown[] = [];
    await runDistributedMap({
      state: 'M',
      definition: linesMap({ ItemReader: { Resource: 'arn:aws:states:::s3:listObjectsV2', Parameters: { Bucket: 'b', 'Prefix.$': '$.prefix' } }, ItemSelector: { 'key.$': '$$.Map.Item.Value.Key' } }),
      input: { prefix: 'manifests/run/' },
      context: {},
      execution,
      s3,
      runItem: async (input) => {
        keys.push((input as { key: string }).key);
        return done('SUCCEEDED', {});
      },
    });
    expect(keys.sort()).toEqual([0, 1, 2, 3, 4].map((i) => `manifests/run/t${i}.json`));
  });

  it('runs at most MaxConcurrency (from MaxConcurrencyPath) items at once', async () => {
    const s3 = memoryS3({ 'b/m.jsonl': jsonl(9) });
    let running = 0;
    let peak = 0;
    await runDistributedMap({
      state: 'M',
      definition: linesMap({ MaxConcurrencyPath: '$.limit', ItemSelector: { 'value.$': '$$.Map.Item.Value' } }),
      input: { key: 'm.jsonl', limit: 3 },
      context: {},
      execution,
      s3,
      runItem: async () => {
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return done('SUCCEEDED', {});
      },
    });
    expect(peak).toBe(3);
  });

  it('tolerates failures up to the percentage; beyond it starts no further item, writes the results and fails', async () => {
    const s3 = memoryS3({ 'b/m.jsonl': jsonl(10) });
    // 1 of 10 failing is within 10 %.
    const tolerated = await runDistributedMap({
      state: 'M',
      definition: linesMap({ ToleratedFailurePercentagePath: '$.pct', ItemSelector: { 'value.$': '$$.Map.Item.Value' } }),
      input: { key: 'm.jsonl', pct: 10 },
      context: {},
      execution,
      s3,
      runItem: async (_i, child) => (child.index === 4 ? done('FAILED') : done('SUCCEEDED', {})),
    });
    expect(tolerated.run.status).toBe('SUCCEEDED');
    expect(tolerated.run.itemCounts).toMatchObject({ succeeded: 9, failed: 1 });

    // With 0 %, one at a time: the first failure stops the run.
    let started = 0;
    const error = await runDistributedMap({
      state: 'M',
      definition: linesMap({ MaxConcurrency: 1, ItemSelector: { 'value.$': '$$.Map.Item.Value' } }),
      input: { key: 'm.jsonl' },
      context: {},
      execution,
      s3,
      runItem: async (_i, child) => {
        started++;
        return child.index === 2 ? done('FAILED') : done('SUCCEEDED', {});
      },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'States.ExceedToleratedFailureThreshold' });
    expect(started).toBe(3);
    const manifestKey = [...s3.store.keys()].filter((k) => k.endsWith('manifest.json')).pop() as string;
    const files = JSON.parse(s3.store.get(manifestKey) as string).ResultFiles;
    expect(files.FAILED).toHaveLength(1);
    expect(files.PENDING).toHaveLength(1);
    const failed = JSON.parse(s3.store.get(`b/${files.FAILED[0].Key}`) as string);
    expect(failed).toEqual([expect.objectContaining({ Status: 'FAILED', Error: 'Boom', Cause: 'it failed' })]);
    expect(JSON.parse(s3.store.get(`b/${files.PENDING[0].Key}`) as string)).toHaveLength(7);
  });

  it('without a ResultWriter answers the item outputs (a failed item: its Error and Cause)', async () => {
    const { result } = await runDistributedMap({
      state: 'M',
      definition: { Type: 'Map', ItemProcessor: processor as DistributedMapState['ItemProcessor'], ItemsPath: '$.items', ToleratedFailureCount: 1 },
      input: { items: ['a', 'b'] },
      context: {},
      execution,
      s3: memoryS3(),
      runItem: async (input) => (input === 'b' ? done('FAILED') : done('SUCCEEDED', `got ${String(input)}`)),
    });
    expect(result).toEqual(['got a', { Error: 'Boom', Cause: 'it failed' }]);
  });

  it('fails the reader on a line that is not JSON, naming it', () => {
    expect(() => parseReaderObject('{"a":1}\n{oops\n', 'JSONL', 'm.jsonl')).toThrow(/line 2 of s3 object m\.jsonl is not JSON/);
    expect(() => parseReaderObject('{"a":1}', 'JSON', 'm.json')).toThrow(/not a JSON array/);
  });

  it('counts the threshold as Step Functions does', () => {
    expect(exceedsTolerance(0, 10, 0, 0)).toBe(false);
    expect(exceedsTolerance(1, 10, 0, 0)).toBe(true);
    expect(exceedsTolerance(1, 10, 10, 0)).toBe(false);
    expect(exceedsTolerance(2, 10, 10, 0)).toBe(true);
    expect(exceedsTolerance(2, 10, 0, 2)).toBe(false);
    expect(exceedsTolerance(3, 10, 0, 2)).toBe(true);
  });

  it('rewrites a Distributed Map into a locally served Task keeping its paths, Retry, Catch and transitions; refuses ItemBatcher', () => {
    const def = {
      StartAt: 'M',
      States: {
        M: { ...linesMap(), ResultPath: '$.map', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'F' }], Next: 'F' },
        F: { Type: 'Succeed' },
      },
    } as unknown as AslDefinitionLike;
    const { definition, maps } = rewriteDistributedMaps(def);
    expect(definition.States.M).toEqual({ Type: 'Task', Resource: DISTRIBUTED_MAP_RESOURCE, ResultPath: '$.map', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'F' }], Next: 'F' });
    expect(maps.get('M')?.ItemReader?.Resource).toBe('arn:aws:states:::s3:getObject');
    const batched = { StartAt: 'M', States: { M: { ...linesMap(), ItemBatcher: { MaxItemsPerBatch: 2 }, End: true } } } as unknown as AslDefinitionLike;
    expect(() => rewriteDistributedMaps(batched)).toThrow(/ItemBatcher is not served/);
  });
});

describe('States.Hash (local runner)', () => {
  it('hashes like Step Functions (node:crypto) for inputs of any length, nested in other intrinsics', async () => {
    const request = { tenantId: 'a-long-tenant-id', aws: { accountId: '123456789012', region: 'eu-central-1', credentialMode: 'sts' } };
    const out = await evaluateWithHashes(
      { 'name.$': "States.Format('{}-{}', $.r.tenantId, States.Hash(States.JsonToString($.r), 'MD5'))", 'sha.$': "States.Hash($.s, 'SHA-256')", plain: 1 },
      { r: request, s: 'x'.repeat(300) },
      {},
    );
    expect(out).toEqual({
      name: `a-long-tenant-id-${createHash('md5').update(JSON.stringify(request)).digest('hex')}`,
      sha: createHash('sha256').update('x'.repeat(300)).digest('hex'),
      plain: 1,
    });
  });

  it('serves Pass states that hash, refuses States.Hash elsewhere', () => {
    const def = { StartAt: 'N', States: { N: { Type: 'Pass', Parameters: { 'h.$': "States.Hash($.a, 'MD5')" }, ResultPath: '$.n', Next: 'T' }, T: { Type: 'Succeed' } } } as unknown as AslDefinitionLike;
    const { definition, passes } = rewriteHashPasses(def);
    expect(definition.States.N).toEqual({ Type: 'Task', Resource: HASH_PASS_RESOURCE, ResultPath: '$.n', Next: 'T' });
    expect(passes.get('N')).toEqual({ 'h.$': "States.Hash($.a, 'MD5')" });
    const task = { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'x', Parameters: { 'h.$': "States.Hash($.a, 'MD5')" }, End: true } } } as unknown as AslDefinitionLike;
    expect(() => rewriteHashPasses(task)).toThrow(/outside a Pass state/);
  });
});
