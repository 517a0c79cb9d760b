/**
 * Distributed Map for the local runner (aws-local-stepfunctions runs inline Maps only): a Map state whose
 * `ItemProcessor.ProcessorConfig.Mode` is `DISTRIBUTED` is replaced, before the run, by a Task state of the same name
 * (keeping InputPath, ResultSelector, ResultPath, OutputPath, Retry, Catch, Next / End) that this module serves:
 *
 * - **ItemReader** from the sandbox's S3: `s3:getObject` with `ReaderConfig.InputType` `JSONL` (one JSON value per
 *   non-empty line) or `JSON` (an array), and `s3:listObjectsV2` (`{Etag, Key, LastModified, Size, StorageClass}` per
 *   object under `Prefix`, every page); `ReaderConfig.MaxItems`. Without one, `ItemsPath` (default `$`).
 * - **ItemSelector** (or the older `Parameters`) per item, with `$$.Map.Item.Index` / `$$.Map.Item.Value`.
 * - **MaxConcurrency** / `MaxConcurrencyPath` (0: every item at once).
 * - **ToleratedFailurePercentage** / `...Path`, **ToleratedFailureCount** / `...Path` (default 0): once the failed
 *   items exceed the threshold no further item starts, the running ones finish, and the state fails with
 *   `States.ExceedToleratedFailureThreshold` (after the results are written).
 * - **ResultWriter** (`s3:putObject`, `Bucket` / `Prefix`): `<Prefix>/<map run id>/manifest.json`, `SUCCEEDED_0.json`,
 *   `FAILED_0.json`, `PENDING_0.json` shaped as Step Functions writes them; the state's result is then
 *   `{MapRunArn, ResultWriterDetails: {Bucket, Key}}`. Without one, the array of item outputs (a failed item: its
 *   `{Error, Cause}`).
 * - Each item runs as a child workflow execution of the item processor (`<state machine>/<Label or state>:<uuid>`),
 *   counted in a **map run** (`MapRunRecord`, what `DescribeMapRun` answers; `aws-sdk:sfn:describeMapRun` is served
 *   from it) and reported as `map-run` progress events.
 *
 * Not covered (fails before the run, or documented in README.md): ItemBatcher, CSV and manifest (S3 inventory /
 * Athena) readers, `ReaderConfig.MaxItemsPath`, ResultWriter `WriterConfig`, Express item processors' own semantics
 * (they run like Standard ones), redrive, and aborting items still running when the threshold is exceeded (they finish).
 */
import { randomUUID } from 'node:crypto';
import './polyfill';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { libStateMachine, type AslDefinitionLike, type MapRunItemCounts } from './execute';

export const DISTRIBUTED_MAP_RESOURCE = 'local:distributed-map';

/** A Distributed Map state as written in the definition (the fields this module reads). */
export interface DistributedMapState {
  Type: 'Map';
  ItemProcessor: AslDefinitionLike & { ProcessorConfig?: { Mode?: string; ExecutionType?: string } };
  ItemReader?: { Resource: string; Parameters?: Record<string, unknown>; ReaderConfig?: { InputType?: string; MaxItems?: number; MaxItemsPath?: string } };
  ItemsPath?: string;
  ItemSelector?: Record<string, unknown>;
  Parameters?: Record<string, unknown>;
  ItemBatcher?: unknown;
  MaxConcurrency?: number;
  MaxConcurrencyPath?: string;
  ToleratedFailurePercentage?: number;
  ToleratedFailurePercentagePath?: string;
  ToleratedFailureCount?: number;
  ToleratedFailureCountPath?: string;
  ResultWriter?: { Resource: string; Parameters?: Record<string, unknown>; WriterConfig?: unknown };
  Label?: string;
  [k: string]: unknown;
}

export class DistributedMapError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

type AnyState = Record<string, unknown> & { Type?: string; Branches?: AslDefinitionLike[]; ItemProcessor?: unknown; Iterator?: unknown };

export function isDistributedMap(st: unknown): st is DistributedMapState {
  const s = st as AnyState | undefined;
  if (!s || s.Type !== 'Map') return false;
  const proc = s.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined;
  return proc?.ProcessorConfig?.Mode === 'DISTRIBUTED';
}

/** Fields of a Map state the replacing Task keeps (the library applies them to the Task's result). */
const KEPT = ['InputPath', 'ResultSelector', 'ResultPath', 'OutputPath', 'Retry', 'Catch', 'Next', 'End', 'Comment'];

/**
 * The definition with every Distributed Map (at any depth) replaced by a Task state served locally, and the original
 * states by name. Fails on what is not covered (ItemBatcher, CSV / manifest readers, WriterConfig).
 */
export function rewriteDistributedMaps(definition: AslDefinitionLike): { definition: AslDefinitionLike; maps: Map<string, DistributedMapState> } {
  const maps = new Map<string, DistributedMapState>();
  const rewrite = (def: AslDefinitionLike): AslDefinitionLike => {
    const states: Record<string, unknown> = {};
    for (const [name, raw] of Object.entries(def.States)) {
      const st = raw as unknown as AnyState;
      if (isDistributedMap(st)) {
        checkCovered(name, st);
        maps.set(name, { ...st, ItemProcessor: rewrite(st.ItemProcessor) as DistributedMapState['ItemProcessor'] });
        const task: Record<string, unknown> = { Type: 'Task', Resource: DISTRIBUTED_MAP_RESOURCE };
        for (const k of KEPT) if (k in st) task[k] = st[k];
        states[name] = task;
        continue;
      }
      const copy: AnyState = { ...st };
      if (st.Branches) copy.Branches = st.Branches.map(rewrite);
      if (st.ItemProcessor) copy.ItemProcessor = rewrite(st.ItemProcessor as AslDefinitionLike);
      if (st.Iterator) copy.Iterator = rewrite(st.Iterator as AslDefinitionLike);
      states[name] = copy;
    }
    return { ...def, States: states as AslDefinitionLike['States'] };
  };
  return { definition: rewrite(definition), maps };
}

function checkCovered(name: string, st: DistributedMapState): void {
  const no = (what: string) => {
    throw new DistributedMapError('States.Runtime', `Distributed Map ${name}: ${what} is not served by the local runner (local/runner/README.md, "Distributed Map")`);
  };
  if (st.ItemBatcher !== undefined) no('ItemBatcher');
  if (st.ResultWriter?.WriterConfig !== undefined) no('ResultWriter.WriterConfig');
  const reader = st.ItemReader;
  if (reader) {
    const cfg = reader.ReaderConfig ?? {};
    if (cfg.MaxItemsPath !== undefined) no('ItemReader.ReaderConfig.MaxItemsPath');
    if (reader.Resource.endsWith(':s3:getObject')) {
      if (!['JSON', 'JSONL'].includes(cfg.InputType ?? 'JSON')) no(`ItemReader InputType ${cfg.InputType}`);
    } else if (!reader.Resource.endsWith(':s3:listObjectsV2')) no(`ItemReader ${reader.Resource}`);
  }
  if (st.ResultWriter && !st.ResultWriter.Resource.endsWith(':s3:putObject')) no(`ResultWriter ${st.ResultWriter.Resource}`);
}

// ---- payload templates and paths, evaluated by the library itself ----------------------------------------------

/**
 * `template` (a Parameters-style object with `.$` keys, intrinsic functions, `$$` context) evaluated against `input`
 * by aws-local-stepfunctions: a one-Pass-state machine, so the semantics are the library's.
 */
export async function evaluateTemplate(template: unknown, input: unknown, context: Record<string, unknown>): Promise<unknown> {
  const def = { StartAt: 'Evaluate', States: { Evaluate: { Type: 'Pass', Parameters: template, End: true } } };
  // Not validated: a generated one-state machine whose template may embed per-execution values (States.Hash
  // digests, intrinsics.ts), so no cache would hold; a bad path still fails when the library evaluates it.
  const machine = libStateMachine(def, { noValidate: true });
  return machine.run(JSON.parse(JSON.stringify(input ?? null)), { context }).result;
}

async function evaluatePath(path: string, input: unknown, context: Record<string, unknown>): Promise<unknown> {
  const out = (await evaluateTemplate({ 'v.$': path }, input, context)) as { v?: unknown };
  return out.v;
}

// ---- map runs --------------------------------------------------------------------------------------------------

export type ItemCounts = MapRunItemCounts;

/** One run of a Distributed Map state (what DescribeMapRun answers). */
export interface MapRunRecord {
  mapRunArn: string;
  executionArn: string;
  state: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  startDate: string;
  stopDate?: string;
  maxConcurrency: number;
  toleratedFailurePercentage: number;
  toleratedFailureCount: number;
  itemCounts: ItemCounts;
  resultWriterDetails?: { Bucket: string; Key: string };
  error?: string;
  cause?: string;
}

/** DescribeMapRun's answer (as the aws-sdk:sfn:describeMapRun integration returns it). */
export function describeMapRun(r: MapRunRecord): Record<string, unknown> {
  const counts = {
    Pending: r.itemCounts.pending,
    Running: r.itemCounts.running,
    Succeeded: r.itemCounts.succeeded,
    Failed: r.itemCounts.failed,
    TimedOut: r.itemCounts.timedOut,
    Aborted: r.itemCounts.aborted,
    Total: r.itemCounts.total,
    ResultsWritten: r.itemCounts.resultsWritten,
  };
  return {
    MapRunArn: r.mapRunArn,
    ExecutionArn: r.executionArn,
    Status: r.status,
    StartDate: r.startDate,
    ...(r.stopDate ? { StopDate: r.stopDate } : {}),
    MaxConcurrency: r.maxConcurrency,
    ToleratedFailurePercentage: r.toleratedFailurePercentage,
    ToleratedFailureCount: r.toleratedFailureCount,
    ItemCounts: counts,
    ExecutionCounts: counts,
    RedriveCount: 0,
  };
}

/** The outcome of one item's child workflow execution. */
export interface ItemOutcome {
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  output?: unknown;
  error?: string;
  cause?: string;
  startedAt: number;
  stoppedAt: number;
}

export interface DistributedMapRunParams {
  state: string;
  definition: DistributedMapState;
  /** The Task's effective input (after InputPath). */
  input: unknown;
  /** The execution's context object (`$$`: Execution, StateMachine). */
  context: Record<string, unknown>;
  execution: { arn: string; stateMachineName: string; region: string; accountId: string; partition: string };
  s3: S3Client;
  /** Runs one item's child workflow execution (the item processor) with `input`. */
  runItem: (input: unknown, child: { executionArn: string; name: string; index: number }) => Promise<ItemOutcome>;
  onUpdate?: (run: MapRunRecord) => void;
  /** The parent execution was aborted: no further item starts (`runItem` aborts the running ones). */
  signal?: AbortSignal;
}

const s3Error = (what: string, e: unknown): DistributedMapError =>
  new DistributedMapError(what, `${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);

/** Items of the ItemReader (from the sandbox's S3) or of ItemsPath. */
export async function readItems(st: DistributedMapState, input: unknown, context: Record<string, unknown>, s3: S3Client): Promise<unknown[]> {
  const reader = st.ItemReader;
  let items: unknown[];
  if (!reader) {
    const v = await evaluatePath(st.ItemsPath ?? '$', input, context);
    if (!Array.isArray(v)) throw new DistributedMapError('States.Runtime', `Distributed Map: ItemsPath ${st.ItemsPath ?? '$'} is not an array`);
    items = v;
  } else {
    const params = (await evaluateTemplate(reader.Parameters ?? {}, input, context)) as { Bucket?: unknown; Key?: unknown; Prefix?: unknown };
    if (typeof params.Bucket !== 'string') throw new DistributedMapError('States.ItemReaderFailed', 'ItemReader: Parameters.Bucket is not a string');
    if (reader.Resource.endsWith(':s3:getObject')) {
      if (typeof params.Key !== 'string') throw new DistributedMapError('States.ItemReaderFailed', 'ItemReader: Parameters.Key is not a string');
      let text: string;
      try {
        const got = await s3.send(new GetObjectCommand({ Bucket: params.Bucket, Key: params.Key }));
        text = (await got.Body?.transformToString('utf8')) ?? '';
      } catch (e) {
        throw s3Error('States.ItemReaderFailed', e);
      }
      items = parseReaderObject(text, reader.ReaderConfig?.InputType ?? 'JSON', params.Key);
    } else {
      items = [];
      let token: string | undefined;
      try {
        do {
          const page = await s3.send(
            new ListObjectsV2Command({
              Bucket: params.Bucket,
              ...(typeof params.Prefix === 'string' ? { Prefix: params.Prefix } : {}),
              ...(token ? { ContinuationToken: token } : {}),
            }),
          );
          for (const o of page.Contents ?? []) {
            items.push({
              Etag: o.ETag,
              Key: o.Key,
              LastModified: o.LastModified ? Math.floor(o.LastModified.getTime() / 1000) : undefined,
              Size: o.Size,
              StorageClass: o.StorageClass ?? 'STANDARD',
            });
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } catch (e) {
        throw s3Error('States.ItemReaderFailed', e);
      }
    }
    const max = reader.ReaderConfig?.MaxItems;
    if (typeof max === 'number' && max > 0) items = items.slice(0, max);
  }
  return items;
}

/** The items of a manifest object: JSONL (one JSON value per non-empty line) or JSON (an array). */
export function parseReaderObject(text: string, inputType: string, key: string): unknown[] {
  if (inputType === 'JSONL') {
    const out: unknown[] = [];
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = (lines[i] as string).trim();
      if (line === '') continue;
      try {
        out.push(JSON.parse(line));
      } catch (e) {
        throw new DistributedMapError('States.ItemReaderFailed', `ItemReader: line ${i + 1} of s3 object ${key} is not JSON (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    return out;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new DistributedMapError('States.ItemReaderFailed', `ItemReader: s3 object ${key} is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!Array.isArray(v)) throw new DistributedMapError('States.ItemReaderFailed', `ItemReader: s3 object ${key} is not a JSON array`);
  return v;
}

async function numberSetting(st: DistributedMapState, field: 'MaxConcurrency' | 'ToleratedFailurePercentage' | 'ToleratedFailureCount', input: unknown, context: Record<string, unknown>): Promise<number> {
  const path = st[`${field}Path`];
  const v = typeof path === 'string' ? await evaluatePath(path, input, context) : (st[field] ?? 0);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (field === 'ToleratedFailurePercentage' && v > 100) || (field !== 'ToleratedFailurePercentage' && !Number.isInteger(v))) {
    throw new DistributedMapError('States.Runtime', `Distributed Map: ${field}${typeof path === 'string' ? `Path ${path}` : ''} is ${JSON.stringify(v)}, not a valid value`);
  }
  return v;
}

/** Did `failed` of `total` items exceed the threshold (Step Functions: either limit exceeded fails the map run)? */
export function exceedsTolerance(failed: number, total: number, percentage: number, count: number): boolean {
  if (failed === 0) return false;
  if (count > 0 && failed > count) return true;
  if (count > 0 && percentage === 0) return false;
  return total > 0 && (failed * 100) / total > percentage;
}

interface ItemRecord {
  index: number;
  input: unknown;
  executionArn: string;
  name: string;
  outcome?: ItemOutcome;
}

/** Runs a Distributed Map state: reads the items, runs each through `runItem`, writes the results; its Task result. */
export async function runDistributedMap(p: DistributedMapRunParams): Promise<{ result: unknown; run: MapRunRecord }> {
  const st = p.definition;
  const label = st.Label ?? p.state;
  const uuid = randomUUID();
  const { partition, region, accountId, stateMachineName } = p.execution;
  const run: MapRunRecord = {
    mapRunArn: `arn:${partition}:states:${region}:${accountId}:mapRun:${stateMachineName}/${label}:${uuid}`,
    executionArn: p.execution.arn,
    state: p.state,
    status: 'RUNNING',
    startDate: new Date().toISOString(),
    maxConcurrency: 0,
    toleratedFailurePercentage: 0,
    toleratedFailureCount: 0,
    itemCounts: { pending: 0, running: 0, succeeded: 0, failed: 0, timedOut: 0, aborted: 0, total: 0, resultsWritten: 0 },
  };
  const update = () => {
    try {
      p.onUpdate?.({ ...run, itemCounts: { ...run.itemCounts } });
    } catch {
      // a failing observer never breaks the run
    }
  };
  run.maxConcurrency = await numberSetting(st, 'MaxConcurrency', p.input, p.context);
  run.toleratedFailurePercentage = await numberSetting(st, 'ToleratedFailurePercentage', p.input, p.context);
  run.toleratedFailureCount = await numberSetting(st, 'ToleratedFailureCount', p.input, p.context);
  const items = await readItems(st, p.input, p.context, p.s3);
  const selector = st.ItemSelector ?? st.Parameters;
  const records: ItemRecord[] = [];
  for (let index = 0; index < items.length; index++) {
    const value = items[index];
    const input = selector === undefined ? value : await evaluateTemplate(selector, p.input, { ...p.context, Map: { Item: { Index: index, Value: value } } });
    const name = randomUUID();
    records.push({ index, input, name, executionArn: `arn:${partition}:states:${region}:${accountId}:execution:${stateMachineName}/${label}:${name}` });
  }
  run.itemCounts.total = records.length;
  run.itemCounts.pending = records.length;
  update();

  const limit = run.maxConcurrency === 0 ? Math.max(1, records.length) : run.maxConcurrency;
  let next = 0;
  let exceeded = false;
  const worker = async () => {
    while (!exceeded && !p.signal?.aborted && next < records.length) {
      const rec = records[next++] as ItemRecord;
      run.itemCounts.pending--;
      run.itemCounts.running++;
      update();
      let outcome: ItemOutcome;
      const startedAt = Date.now();
      try {
        outcome = await p.runItem(rec.input, { executionArn: rec.executionArn, name: rec.name, index: rec.index });
      } catch (e) {
        outcome = { status: 'FAILED', error: e instanceof Error ? e.name : 'Error', cause: e instanceof Error ? e.message : String(e), startedAt, stoppedAt: Date.now() };
      }
      rec.outcome = outcome;
      run.itemCounts.running--;
      if (outcome.status === 'SUCCEEDED') run.itemCounts.succeeded++;
      else if (outcome.status === 'TIMED_OUT') run.itemCounts.timedOut++;
      else if (outcome.status === 'ABORTED') run.itemCounts.aborted++;
      else run.itemCounts.failed++;
      const failed = run.itemCounts.failed + run.itemCounts.timedOut + run.itemCounts.aborted;
      if (exceedsTolerance(failed, records.length, run.toleratedFailurePercentage, run.toleratedFailureCount)) exceeded = true;
      update();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, Math.max(1, records.length)) }, () => worker()));

  run.status = exceeded ? 'FAILED' : 'SUCCEEDED';
  if (exceeded) {
    run.error = 'States.ExceedToleratedFailureThreshold';
    run.cause = `The specified tolerated failure threshold was exceeded: ${run.itemCounts.failed + run.itemCounts.timedOut + run.itemCounts.aborted} of ${records.length} items failed (tolerated: ${run.toleratedFailurePercentage}%${run.toleratedFailureCount > 0 ? ` or ${run.toleratedFailureCount} items` : ''})`;
  }

  let result: unknown;
  if (st.ResultWriter) {
    const params = (await evaluateTemplate(st.ResultWriter.Parameters ?? {}, p.input, p.context)) as { Bucket?: unknown; Prefix?: unknown };
    if (typeof params.Bucket !== 'string') throw new DistributedMapError('States.ResultWriterFailed', 'ResultWriter: Parameters.Bucket is not a string');
    const prefix = typeof params.Prefix === 'string' && params.Prefix !== '' ? `${params.Prefix.replace(/\/+$/, '')}/` : '';
    const key = await writeResults(p.s3, params.Bucket, `${prefix}${uuid}/`, run, records, p.execution.arn);
    run.resultWriterDetails = { Bucket: params.Bucket, Key: key };
    result = { MapRunArn: run.mapRunArn, ResultWriterDetails: run.resultWriterDetails };
  } else {
    result = records.map((r) => (r.outcome?.status === 'SUCCEEDED' ? r.outcome.output : { Error: r.outcome?.error, Cause: r.outcome?.cause }));
  }
  run.stopDate = new Date().toISOString();
  update();
  if (exceeded) throw new DistributedMapError(run.error as string, run.cause as string);
  return { result, run };
}

/** What Step Functions writes per child execution in SUCCEEDED_n / FAILED_n / PENDING_n. */
function resultEntry(r: ItemRecord, parentArn: string): Record<string, unknown> {
  const o = r.outcome;
  const base: Record<string, unknown> = {
    ExecutionArn: r.executionArn,
    Input: JSON.stringify(r.input),
    InputDetails: { Included: true },
    Name: r.name,
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
    RedriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
    StateMachineArn: parentArn.replace(':execution:', ':stateMachine:').replace(/:[^:]*$/, ''),
    Status: o?.status ?? 'PENDING',
    ...(o ? { StartDate: new Date(o.startedAt).toISOString(), StopDate: new Date(o.stoppedAt).toISOString() } : {}),
  };
  if (o?.status === 'SUCCEEDED') return { ...base, Output: JSON.stringify(o.output ?? null), OutputDetails: { Included: true } };
  if (o) return { ...base, RedriveStatus: 'REDRIVABLE', RedriveStatusReason: '', Error: o.error ?? '', Cause: o.cause ?? '' };
  return base;
}

async function writeResults(s3: S3Client, bucket: string, prefix: string, run: MapRunRecord, records: ItemRecord[], parentArn: string): Promise<string> {
  const groups: Record<'SUCCEEDED' | 'FAILED' | 'PENDING', ItemRecord[]> = { SUCCEEDED: [], FAILED: [], PENDING: [] };
  for (const r of records) groups[!r.outcome ? 'PENDING' : r.outcome.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED'].push(r);
  const files: Record<string, { Key: string; Size: number }[]> = { FAILED: [], PENDING: [], SUCCEEDED: [] };
  const put = async (key: string, body: string) => {
    try {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }));
    } catch (e) {
      throw s3Error('States.ResultWriterFailed', e);
    }
  };
  for (const [status, list] of Object.entries(groups)) {
    if (list.length === 0) continue;
    const key = `${prefix}${status}_0.json`;
    const body = JSON.stringify(list.map((r) => resultEntry(r, parentArn)));
    await put(key, body);
    (files[status] as { Key: string; Size: number }[]).push({ Key: key, Size: Buffer.byteLength(body) });
    if (status !== 'PENDING') run.itemCounts.resultsWritten += list.length;
  }
  const manifestKey = `${prefix}manifest.json`;
  await put(manifestKey, JSON.stringify({ DestinationBucket: bucket, MapRunArn: run.mapRunArn, ResultFiles: files }));
  return manifestKey;
}
