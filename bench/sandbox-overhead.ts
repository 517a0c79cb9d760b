/**
 * Per-call overhead of the local AWS sandbox, measured through the real SDK v3 clients:
 *
 *   overhead = median(SDK call against the sandbox) - median(same SDK call against a trivial local
 *              HTTP server replaying the sandbox's recorded response for that operation)
 *
 * so SDK serialisation, signing, HTTP and parsing cancel out and what remains is the sandbox's own
 * work (body read, SigV4 verification, authorization, handler, rendering). Operations: STS
 * GetCallerIdentity, IAM GetRole, S3 GetObject and Secrets Manager GetSecretValue (when those
 * services are present), each with admin (root) keys, an admin assumed role, and a scoped assumed
 * role (non-admin policy: full IAM simulation on first use, memoised afterwards).
 *
 * Run: npx tsx bench/sandbox-overhead.ts      Target: median overhead <= 2 ms.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { AttachRolePolicyCommand, CreatePolicyCommand, CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startSandbox } from '../local/aws';
import type { RunningSandbox } from '../local/aws/core/types';
import { GOALS } from './target';

export const TARGET_MS = GOALS.S1_OVERHEAD_MS;
const MEMBER = '111111111111';

interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

interface Recorded {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface OverheadRow {
  operation: string;
  principal: string;
  sandboxMedianMs: number;
  baselineMedianMs: number;
  overheadMs: number;
}

export interface OverheadResult {
  rows: OverheadRow[];
  /** Median of the per-row overheads. */
  medianOverheadMs: number;
  maxOverheadMs: number;
  targetMs: number;
  /** medianOverheadMs / targetMs (<= 1 meets the target). */
  ratio: number;
  iterations: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

function readBody(req: import('node:http').IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Which operation a request is (same key for recording and replay). */
function opKey(method: string, url: string, headers: IncomingHttpHeaders, body: Buffer): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return `json ${target}`;
  const action = new URLSearchParams(body.toString('utf8')).get('Action');
  if (action) return `query ${action}`;
  return `rest ${method} ${url.split('?')[0] ?? ''}`;
}

/**
 * Baseline server. While `recording`, forwards to the sandbox (Host header untouched, so signatures
 * stay valid) and stores the response per operation; afterwards replays the stored response.
 */
async function startBaseline(sandboxPort: number): Promise<{ server: Server; port: number; stopRecording(): void }> {
  const recorded = new Map<string, Recorded>();
  let recording = true;
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const key = opKey(req.method ?? 'GET', req.url ?? '/', req.headers, body);
      if (!recording) {
        const r = recorded.get(key);
        if (!r) {
          res.writeHead(500);
          res.end(`no recording for ${key}`);
          return;
        }
        res.writeHead(r.status, r.headers);
        res.end(r.body);
        return;
      }
      const upstream = request(
        { host: '127.0.0.1', port: sandboxPort, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          void readBody(up).then((upBody) => {
            const headers = { ...up.headers };
            delete headers.connection;
            delete headers['keep-alive'];
            delete headers['transfer-encoding'];
            headers['content-length'] = String(upBody.length);
            if ((up.statusCode ?? 500) < 300) recorded.set(key, { status: up.statusCode ?? 200, headers, body: upBody });
            res.writeHead(up.statusCode ?? 500, headers);
            res.end(upBody);
          });
        },
      );
      upstream.end(body);
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    stopRecording: () => {
      recording = false;
    },
  };
}

interface Op {
  name: string;
  /** Runs the operation against `endpoint` with `keys`; returns a function per endpoint. */
  make(endpoint: string, keys: Keys): () => Promise<unknown>;
}

async function setup(sb: RunningSandbox): Promise<{ ops: Op[]; principals: Array<{ name: string; keys: Keys; account: string }> }> {
  const region = sb.region;
  const admin = { accessKeyId: sb.accessKeyId, secretAccessKey: sb.secretAccessKey };
  const member = sb.createAccount(MEMBER);
  const memberKeys = { accessKeyId: member.accessKeyId, secretAccessKey: member.secretAccessKey };
  const health = (await (await fetch(`${sb.endpoint}/_sandbox/health`)).json()) as { services: string[] };
  const services = new Set(health.services);

  // Resources in both accounts, named the same so every principal runs the same calls.
  for (const keys of [admin, memberKeys]) {
    const iam = new IAMClient({ endpoint: sb.endpoint, region, credentials: keys });
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'bench-role',
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${sb.accountId}:root` }, Action: 'sts:AssumeRole' }] }),
      }),
    );
    iam.destroy();
    if (services.has('s3')) {
      const s3 = new S3Client({ endpoint: sb.endpoint, region, credentials: keys, forcePathStyle: true });
      const bucket = keys === admin ? 'bench-admin' : 'bench-member';
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'object.txt', Body: 'x'.repeat(1024) }));
      s3.destroy();
    }
    if (services.has('secretsmanager')) {
      const sm = new SecretsManagerClient({ endpoint: sb.endpoint, region, credentials: keys });
      await sm.send(new CreateSecretCommand({ Name: 'bench/secret', SecretString: 'value' }));
      sm.destroy();
    }
  }
  // A scoped (non-admin) role in the member account.
  const memberIam = new IAMClient({ endpoint: sb.endpoint, region, credentials: memberKeys });
  const scoped = await memberIam.send(
    new CreatePolicyCommand({
      PolicyName: 'bench-scoped',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'iam:GetRole', Resource: `arn:aws:iam::${MEMBER}:role/bench-*` },
          { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bench-member/*' },
          { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: `arn:aws:secretsmanager:${region}:${MEMBER}:secret:bench/*` },
        ],
      }),
    }),
  );
  await memberIam.send(new AttachRolePolicyCommand({ RoleName: 'bench-role', PolicyArn: scoped.Policy?.Arn }));
  memberIam.destroy();

  const sts = new STSClient({ endpoint: sb.endpoint, region, credentials: admin });
  const session = async (roleArn: string): Promise<Keys> => {
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'bench' }));
    return {
      accessKeyId: out.Credentials?.AccessKeyId ?? '',
      secretAccessKey: out.Credentials?.SecretAccessKey ?? '',
      sessionToken: out.Credentials?.SessionToken ?? '',
    };
  };
  const adminRole = await session(`arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`);
  const scopedRole = await session(`arn:aws:iam::${MEMBER}:role/bench-role`);
  sts.destroy();

  const bucketFor = (keys: Keys): string => (keys === admin ? 'bench-admin' : 'bench-member');
  const ops: Op[] = [
    {
      name: 'sts:GetCallerIdentity',
      make: (endpoint, keys) => {
        const c = new STSClient({ endpoint, region, credentials: keys });
        return () => c.send(new GetCallerIdentityCommand({}));
      },
    },
    {
      name: 'iam:GetRole',
      make: (endpoint, keys) => {
        const c = new IAMClient({ endpoint, region, credentials: keys });
        return () => c.send(new GetRoleCommand({ RoleName: 'bench-role' }));
      },
    },
  ];
  if (services.has('s3')) {
    ops.push({
      name: 's3:GetObject',
      make: (endpoint, keys) => {
        const c = new S3Client({ endpoint, region, credentials: keys, forcePathStyle: true });
        const bucket = bucketFor(keys);
        return async () => {
          const out = await c.send(new GetObjectCommand({ Bucket: bucket, Key: 'object.txt' }));
          return out.Body?.transformToString();
        };
      },
    });
  }
  if (services.has('secretsmanager')) {
    ops.push({
      name: 'secretsmanager:GetSecretValue',
      make: (endpoint, keys) => {
        const c = new SecretsManagerClient({ endpoint, region, credentials: keys });
        return () => c.send(new GetSecretValueCommand({ SecretId: 'bench/secret' }));
      },
    });
  }
  return {
    ops,
    principals: [
      { name: 'admin (root keys)', keys: admin, account: sb.accountId },
      { name: 'assumed role (admin)', keys: adminRole, account: MEMBER },
      { name: 'assumed role (scoped)', keys: scopedRole, account: MEMBER },
    ],
  };
}

export async function run(opts: { iterations?: number; warmup?: number } = {}): Promise<OverheadResult> {
  const iterations = opts.iterations ?? 300;
  const warmup = opts.warmup ?? 50;
  const sb = await startSandbox({
    port: 0,
    realism: { iamPropagationMs: 0, latency: { defaultMs: 0, jitterMs: 0, perOperation: {} }, faults: { seed: 1, rules: [] } },
  });
  const baseline = await startBaseline(sb.port);
  try {
    const { ops, principals } = await setup(sb);
    const baseEndpoint = `http://127.0.0.1:${baseline.port}`;
    const calls = ops.flatMap((op) =>
      principals.map((p) => ({ op, p, sandbox: op.make(sb.endpoint, p.keys), base: op.make(baseEndpoint, p.keys) })),
    );
    // Record each (operation, principal) once through the baseline proxy; the replay key is per
    // operation, so record with the last principal of each op (responses differ only in content).
    for (const c of calls) await c.base();
    baseline.stopRecording();

    const rows: OverheadRow[] = [];
    for (const c of calls) {
      for (let i = 0; i < warmup; i++) {
        await c.sandbox();
        await c.base();
      }
      const s: number[] = [];
      const b: number[] = [];
      // Interleave so drift (GC, CPU frequency) affects both sides equally.
      for (let i = 0; i < iterations; i++) {
        let t = performance.now();
        await c.sandbox();
        s.push(performance.now() - t);
        t = performance.now();
        await c.base();
        b.push(performance.now() - t);
      }
      const sandboxMedianMs = median(s);
      const baselineMedianMs = median(b);
      rows.push({ operation: c.op.name, principal: c.p.name, sandboxMedianMs, baselineMedianMs, overheadMs: sandboxMedianMs - baselineMedianMs });
    }
    const overheads = rows.map((r) => r.overheadMs);
    const medianOverheadMs = median(overheads);
    return {
      rows,
      medianOverheadMs,
      maxOverheadMs: Math.max(...overheads),
      targetMs: TARGET_MS,
      ratio: medianOverheadMs / TARGET_MS,
      iterations,
    };
  } finally {
    await new Promise<void>((r) => baseline.server.close(() => r()));
    baseline.server.closeAllConnections();
    await sb.stop();
  }
}

export function formatTable(r: OverheadResult): string {
  const header = ['operation', 'principal', 'sandbox ms', 'baseline ms', 'overhead ms'];
  const lines = r.rows.map((row) => [
    row.operation,
    row.principal,
    row.sandboxMedianMs.toFixed(3),
    row.baselineMedianMs.toFixed(3),
    row.overheadMs.toFixed(3),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [
    fmt(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...lines.map(fmt),
    '',
    `median overhead ${r.medianOverheadMs.toFixed(3)} ms, max ${r.maxOverheadMs.toFixed(3)} ms, target ${r.targetMs} ms, ratio ${r.ratio.toFixed(2)} ` +
      `(${r.ratio <= 1 ? 'meets' : 'MISSES'} the target; medians of ${r.iterations} calls each)`,
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  run().then(
    (r) => {
      process.stdout.write(`${formatTable(r)}\n`);
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
