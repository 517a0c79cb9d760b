/**
 * AWS Systems Manager Parameter Store for the local sandbox (AWS JSON 1.1: POST /, X-Amz-Target: AmazonSSM.<Op>, signed
 * for `ssm`): what the product reads (the Palette CA bundle may be a parameter, lambdas/shared/palette-ca.ts) and
 * what a test needs to put one there.
 *
 * Served: PutParameter (String, StringList, SecureString; Overwrite; Standard tier: values up to 4096 characters,
 * Advanced: 8192), GetParameter (by name or ARN; WithDecryption), DeleteParameter. Parameters live per account and
 * region. Every call is authorized through the kernel with its IAM action (`ssm:GetParameter` ...) on the parameter's
 * ARN (`arn:aws:ssm:<region>:<account>:parameter/<name without its leading slash>`), before the existence check; the
 * owning account's root is always allowed (Parameter Store has no resource policies). Not modelled: KMS (a
 * SecureString is stored as given and needs no kms:Decrypt), versions beyond the counter, labels, policies, paths.
 */
import { AwsError } from '../../core/errors';
import { jsonOperationHandler, targetOperation } from '../../core/protocol';
import type { AuthzDecision, Principal, SandboxKernel, SandboxRequest, SandboxResponse, SandboxService } from '../../core/types';
import { Input, parseJsonBody, type JsonObject } from '../secretsmanager/input';

const TARGET_PREFIX = 'AmazonSSM.';
const NAME_PATTERN = /^[a-zA-Z0-9_.\-/]+$/;
const ARN_PATTERN = /^arn:aws:ssm:([a-z0-9-]+):(\d{12}):parameter\/(.+)$/;
const TYPES = ['String', 'StringList', 'SecureString'] as const;
const TIERS = ['Standard', 'Advanced', 'Intelligent-Tiering'] as const;

interface Parameter {
  accountId: string;
  region: string;
  name: string;
  type: (typeof TYPES)[number];
  value: string;
  version: number;
  tier: 'Standard' | 'Advanced';
  description?: string;
  lastModified: number;
}

interface Ctx {
  principal: Principal;
  region: string;
  now: number;
}

const key = (accountId: string, region: string, name: string): string => `${accountId}|${region}|${name}`;
const arnOf = (region: string, accountId: string, name: string): string => `arn:aws:ssm:${region}:${accountId}:parameter/${name.replace(/^\//, '')}`;
const notFound = (): AwsError => new AwsError('ParameterNotFound', '', 400);

function accessDenied(principal: Principal, action: string, resource: string, d: AuthzDecision): AwsError {
  const why = d.reason === 'ExplicitDeny' ? 'with an explicit deny' : `because no identity-based policy allows the ${action} action`;
  return new AwsError('AccessDeniedException', `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}`, 400);
}

function validName(name: string): boolean {
  if (!NAME_PATTERN.test(name) || name.includes('//') || name.endsWith('/')) return false;
  // A hierarchical name starts with '/'; "aws" and "ssm" prefixes are reserved.
  if (name.includes('/') && !name.startsWith('/')) return false;
  return !/^\/?(aws|ssm)/i.test(name);
}

export class SsmService implements SandboxService {
  readonly name = 'ssm' as const;
  readonly protocol = 'json' as const;
  private readonly parameters = new Map<string, Parameter>();
  private readonly operations: Record<string, (ctx: Ctx, input: Input) => Promise<JsonObject>> = {
    PutParameter: (c, i) => this.putParameter(c, i),
    GetParameter: (c, i) => this.getParameter(c, i),
    DeleteParameter: (c, i) => this.deleteParameter(c, i),
  };

  constructor(private readonly kernel: SandboxKernel) {}

  operationName(req: SandboxRequest): string {
    return targetOperation(req.headers, TARGET_PREFIX);
  }

  async handle(req: SandboxRequest): Promise<SandboxResponse> {
    const op = this.operationName(req);
    const handler = jsonOperationHandler(this.operations, op, req.method);
    const out = await handler({ principal: req.principal, region: req.region, now: this.kernel.now() }, new Input(parseJsonBody(req.body)));
    return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(out) };
  }

  snapshot(): unknown {
    return [...this.parameters.values()];
  }

  restore(data: unknown): void {
    this.parameters.clear();
    if (!Array.isArray(data)) return;
    for (const p of data as Parameter[]) this.parameters.set(key(p.accountId, p.region, p.name), p);
  }

  inventory(accountId: string): Record<string, string[]> {
    const parameters = [...this.parameters.values()].filter((p) => p.accountId === accountId).map((p) => `${p.region}/${p.name}`).sort();
    return { parameters };
  }

  /** The parameter a Name (or ARN) means: its owner, region, name and ARN. */
  private locate(ctx: Ctx, nameOrArn: string): { accountId: string; region: string; name: string; arn: string } {
    const arn = ARN_PATTERN.exec(nameOrArn);
    if (arn) {
      const [, region = '', accountId = '', rest = ''] = arn;
      // The ARN drops a hierarchical name's leading slash: "/a/b" is parameter/a/b, "a" is parameter/a.
      const hierarchical = `/${rest}`;
      const name = rest.includes('/') || this.parameters.has(key(accountId, region, hierarchical)) ? hierarchical : rest;
      return { accountId, region, name, arn: nameOrArn };
    }
    if (!validName(nameOrArn)) {
      throw new AwsError('ValidationException', `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive) and must be a valid name (got ${nameOrArn})`, 400);
    }
    const accountId = ctx.principal.accountId;
    return { accountId, region: ctx.region, name: nameOrArn, arn: arnOf(ctx.region, accountId, nameOrArn) };
  }

  private async authorize(ctx: Ctx, action: string, target: { arn: string; accountId: string }): Promise<void> {
    const { principal } = ctx;
    const iam = `ssm:${action}`;
    if (principal.kind === 'root' && principal.accountId === target.accountId) return;
    const decision = await this.kernel.authorize({ principal, action: iam, resource: target.arn, resourceAccount: target.accountId });
    if (!decision.allowed) throw accessDenied(principal, iam, target.arn, decision);
  }

  private async putParameter(ctx: Ctx, input: Input): Promise<JsonObject> {
    const nameIn = input.string('Name', { required: true, min: 1, max: 2048 }) ?? '';
    const value = input.string('Value', { required: true, sensitive: true }) ?? '';
    const type = input.string('Type', { enumValues: TYPES }) as Parameter['type'] | undefined;
    const overwrite = input.boolean('Overwrite') ?? false;
    const description = input.string('Description', { max: 1024 });
    const tier = (input.string('Tier', { enumValues: TIERS }) ?? 'Standard') === 'Advanced' ? 'Advanced' : 'Standard';
    input.string('DataType');
    input.string('KeyId');
    input.done();
    const loc = this.locate(ctx, nameIn);
    await this.authorize(ctx, 'PutParameter', loc);
    if (loc.accountId !== ctx.principal.accountId || loc.region !== ctx.region) throw new AwsError('ValidationException', 'Parameters can be put in your own account and region only.', 400);
    const max = tier === 'Advanced' ? 8192 : 4096;
    if (value.length > max) {
      throw new AwsError(
        'ValidationException',
        tier === 'Advanced'
          ? 'Advanced tier parameters support a maximum parameter value of 8192 characters.'
          : 'Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.',
        400,
      );
    }
    const k = key(loc.accountId, loc.region, loc.name);
    const existing = this.parameters.get(k);
    if (existing && !overwrite) {
      throw new AwsError('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.', 400);
    }
    if (!existing && type === undefined) throw new AwsError('ValidationException', 'A parameter type is required when you create a parameter.', 400);
    const next: Parameter = {
      accountId: loc.accountId,
      region: loc.region,
      name: loc.name,
      type: type ?? existing?.type ?? 'String',
      value,
      version: (existing?.version ?? 0) + 1,
      tier,
      ...(description !== undefined ? { description } : existing?.description !== undefined ? { description: existing.description } : {}),
      lastModified: ctx.now,
    };
    this.parameters.set(k, next);
    return { Version: next.version, Tier: next.tier };
  }

  private async getParameter(ctx: Ctx, input: Input): Promise<JsonObject> {
    const nameIn = input.string('Name', { required: true, min: 1, max: 2048 }) ?? '';
    const decrypt = input.boolean('WithDecryption') ?? false;
    input.done();
    const loc = this.locate(ctx, nameIn);
    await this.authorize(ctx, 'GetParameter', loc);
    const p = loc.region === ctx.region ? this.parameters.get(key(loc.accountId, loc.region, loc.name)) : undefined;
    if (!p) throw notFound();
    const value = p.type === 'SecureString' && !decrypt ? Buffer.from(`sandbox-encrypted:${p.value}`).toString('base64') : p.value;
    return {
      Parameter: {
        Name: p.name,
        Type: p.type,
        Value: value,
        Version: p.version,
        LastModifiedDate: p.lastModified / 1000,
        ARN: arnOf(p.region, p.accountId, p.name),
        DataType: 'text',
      },
    };
  }

  private async deleteParameter(ctx: Ctx, input: Input): Promise<JsonObject> {
    const nameIn = input.string('Name', { required: true, min: 1, max: 2048 }) ?? '';
    input.done();
    const loc = this.locate(ctx, nameIn);
    await this.authorize(ctx, 'DeleteParameter', loc);
    const k = key(loc.accountId, loc.region, loc.name);
    if (loc.region !== ctx.region || !this.parameters.delete(k)) throw notFound();
    return {};
  }
}
