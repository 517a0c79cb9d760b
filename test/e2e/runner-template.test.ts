/**
 * Local runner building blocks that need no sandbox: intrinsic resolution against a local deployment target,
 * state machine selection, function descriptions (asset, handler, environment), and the assembly cache.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assemblyKey, loadAssembly, type AssemblySource } from '../../local/runner/assembly';
import {
  describeFunction,
  findStateMachine,
  functionLogicalIdFor,
  resolveValue,
  TemplateError,
  type CfnTemplate,
  type DeploymentTarget,
} from '../../local/runner/template';

const target: DeploymentTarget = { stackName: 'Stk', partition: 'aws', region: 'eu-west-1', accountId: '000000000000' };

const template: CfnTemplate = {
  Resources: {
    FnA1B2: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Handler: 'index.handler',
        Timeout: 42,
        Environment: {
          Variables: {
            HOME_ACCOUNT_ID: { Ref: 'AWS::AccountId' },
            BUS_ARN: { 'Fn::GetAtt': ['Bus99', 'Arn'] },
            LITERAL: 'x',
            NUMBER: 7,
          },
        },
      },
      Metadata: { 'aws:asset:path': 'asset.abc', 'palette-onboarding:handler': 'lambdas/handlers/a.ts' },
    },
    Named: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'explicit-name' } },
    Bus99: { Type: 'AWS::Events::EventBus', Properties: { Name: 'my-bus' } },
    Queue1: { Type: 'AWS::SQS::Queue' },
    MachineOne: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {
        DefinitionString: {
          'Fn::Join': [
            '',
            ['{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"', { 'Fn::GetAtt': ['FnA1B2', 'Arn'] }, '","Comment":"${Sub1}","End":true}}}'],
          ],
        },
        DefinitionSubstitutions: { Sub1: { Ref: 'Bus99' } },
      },
    },
    MachineTwo: { Type: 'AWS::StepFunctions::StateMachine', Properties: { Definition: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } } } },
  },
};

describe('resolveValue', () => {
  it('resolves pseudo parameters, Fn::Join and Fn::GetAtt Arn per resource type', () => {
    const v = resolveValue(
      {
        'Fn::Join': [
          ':',
          [{ Ref: 'AWS::Partition' }, { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, { Ref: 'AWS::URLSuffix' }, { Ref: 'AWS::StackName' }],
        ],
      },
      template,
      target,
    );
    expect(v).toBe('aws:eu-west-1:000000000000:amazonaws.com:Stk');
    expect(resolveValue({ 'Fn::GetAtt': ['FnA1B2', 'Arn'] }, template, target)).toBe('arn:aws:lambda:eu-west-1:000000000000:function:Stk-FnA1B2');
    expect(resolveValue({ 'Fn::GetAtt': 'Named.Arn' }, template, target)).toBe('arn:aws:lambda:eu-west-1:000000000000:function:explicit-name');
    expect(resolveValue({ 'Fn::GetAtt': ['Bus99', 'Arn'] }, template, target)).toBe('arn:aws:events:eu-west-1:000000000000:event-bus/my-bus');
  });

  it('resolves Ref by resource type (bus name, queue URL, function name)', () => {
    expect(resolveValue({ Ref: 'Bus99' }, template, target)).toBe('my-bus');
    expect(resolveValue({ Ref: 'Queue1' }, template, target)).toBe('https://sqs.eu-west-1.amazonaws.com/000000000000/Stk-Queue1');
    expect(resolveValue({ Ref: 'Named' }, template, target)).toBe('explicit-name');
  });

  it('resolves Fn::Sub (pseudo parameters, attributes, variables, escapes), Fn::Select and Fn::Split deeply', () => {
    const v = resolveValue(
      {
        list: [
          { 'Fn::Sub': 'arn:${AWS::Partition}:x:${AWS::Region}:${AWS::AccountId}:${Bus99.Arn}/${!Literal}' },
          { 'Fn::Sub': ['${A}-${Bus99}', { A: { Ref: 'AWS::Region' } }] },
          { 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] },
        ],
      },
      template,
      target,
    );
    expect(v).toEqual({
      list: [
        'arn:aws:x:eu-west-1:000000000000:arn:aws:events:eu-west-1:000000000000:event-bus/my-bus/${Literal}',
        'eu-west-1-my-bus',
        'b',
      ],
    });
  });

  it('rejects intrinsics it cannot evaluate, naming them', () => {
    expect(() => resolveValue({ 'Fn::If': ['Cond', 'a', 'b'] }, template, target)).toThrow(/Fn::If is not supported/);
    expect(() => resolveValue({ Ref: 'Missing' }, template, target)).toThrow(TemplateError);
    expect(() => resolveValue({ 'Fn::GetAtt': ['FnA1B2', 'Weird'] }, template, target)).toThrow(/FnA1B2\.Weird/);
  });
});

describe('findStateMachine', () => {
  it('selects by logical-id prefix, resolves the definition and applies DefinitionSubstitutions', () => {
    const sm = findStateMachine(template, 'MachineOne', target);
    expect(sm.logicalId).toBe('MachineOne');
    expect(sm.arn).toBe('arn:aws:states:eu-west-1:000000000000:stateMachine:Stk-MachineOne');
    expect(sm.definition).toEqual({
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: 'arn:aws:lambda:eu-west-1:000000000000:function:Stk-FnA1B2', Comment: 'my-bus', End: true } },
    });
    expect(findStateMachine(template, 'MachineTwo', target).definition).toEqual({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
  });

  it('fails clearly when the selector matches none or several', () => {
    expect(() => findStateMachine(template, 'Machine', target)).toThrow(/more than one state machine .* MachineOne, MachineTwo/);
    expect(() => findStateMachine(template, 'Nope', target)).toThrow(/no state machine matches logical-id prefix 'Nope'/);
    expect(() => findStateMachine(template, undefined, target)).toThrow(/more than one/);
  });
});

describe('describeFunction', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runner-asm-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('maps a function to its bundled module, export, resolved environment and limits', () => {
    mkdirSync(join(dir, 'asset.abc'), { recursive: true });
    writeFileSync(join(dir, 'asset.abc', 'index.mjs'), 'export const handler = async () => 1;\n');
    const fn = describeFunction(template, 'FnA1B2', dir, target);
    expect(fn).toMatchObject({
      logicalId: 'FnA1B2',
      functionName: 'Stk-FnA1B2',
      arn: 'arn:aws:lambda:eu-west-1:000000000000:function:Stk-FnA1B2',
      entryFile: join(dir, 'asset.abc', 'index.mjs'),
      exportName: 'handler',
      timeoutSeconds: 42,
      source: 'lambdas/handlers/a.ts',
      environment: {
        HOME_ACCOUNT_ID: '000000000000',
        BUS_ARN: 'arn:aws:events:eu-west-1:000000000000:event-bus/my-bus',
        LITERAL: 'x',
        NUMBER: '7',
      },
    });
    expect(functionLogicalIdFor(template, `${fn.arn}:live`, target)).toBe('FnA1B2');
    expect(functionLogicalIdFor(template, 'explicit-name', target)).toBe('Named');
    expect(functionLogicalIdFor(template, 'arn:aws:lambda:eu-west-1:000000000000:function:other', target)).toBeUndefined();
  });

  it('explains a missing asset (metadata off, or bundling skipped)', () => {
    expect(() => describeFunction(template, 'Named', dir, target)).toThrow(/no 'aws:asset:path' metadata/);
    const noBundle: CfnTemplate = {
      Resources: { F: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler' }, Metadata: { 'aws:asset:path': 'asset.none' } } },
    };
    expect(() => describeFunction(noBundle, 'F', dir, target)).toThrow(/no bundled module index\{\.mjs,\.js,\.cjs\}.*bundling skipped/);
  });
});

describe('assembly cache', () => {
  const root = mkdtempSync(join(tmpdir(), 'runner-cache-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const inputDir = join(root, 'inputs');
  mkdirSync(inputDir, { recursive: true });
  writeFileSync(join(inputDir, 'a.txt'), 'one');
  let synths = 0;
  const source = (salt = 's'): AssemblySource => ({
    description: 'a fake app',
    inputs: [inputDir],
    salt,
    async synthesize(outdir) {
      synths += 1;
      await new Promise((r) => setTimeout(r, 50));
      writeFileSync(
        join(outdir, 'manifest.json'),
        JSON.stringify({ artifacts: { S: { type: 'aws:cloudformation:stack', properties: { templateFile: 'S.template.json' } } } }),
      );
      writeFileSync(join(outdir, 'S.template.json'), JSON.stringify({ Resources: { X: { Type: 'AWS::SQS::Queue' } } }));
    },
  });
  const cacheDir = join(root, 'cache');

  it('synthesizes once for concurrent callers, then serves the cache until an input or the salt changes', async () => {
    const phases: string[] = [];
    const [a, b] = await Promise.all([
      loadAssembly(source(), { cacheDir, onProgress: (e) => phases.push(e.phase) }),
      loadAssembly(source(), { cacheDir, onProgress: (e) => phases.push(e.phase) }),
    ]);
    expect(synths).toBe(1);
    expect(a.directory).toBe(b.directory);
    expect([a.fromCache, b.fromCache].sort()).toEqual([false, true]);
    expect(phases).toContain('synthesizing');
    expect(a.stack().template.Resources.X?.Type).toBe('AWS::SQS::Queue');

    const again = await loadAssembly(source(), { cacheDir });
    expect(again.fromCache).toBe(true);
    expect(synths).toBe(1);

    const keyBefore = assemblyKey(source());
    writeFileSync(join(inputDir, 'a.txt'), 'two');
    expect(assemblyKey(source())).not.toBe(keyBefore);
    expect((await loadAssembly(source(), { cacheDir })).fromCache).toBe(false);
    expect(synths).toBe(2);
    expect(assemblyKey(source('other'))).not.toBe(assemblyKey(source()));
    expect((await loadAssembly(source(), { cacheDir, fresh: true })).fromCache).toBe(false);
    expect(synths).toBe(3);
  });

  it('leaves no partial cache entry when synthesis fails', async () => {
    const failing: AssemblySource = { ...source('fails'), synthesize: async () => Promise.reject(new Error('synth broke')) };
    await expect(loadAssembly(failing, { cacheDir })).rejects.toThrow('synth broke');
    await expect(loadAssembly({ ...failing, synthesize: source('fails').synthesize }, { cacheDir })).resolves.toMatchObject({ fromCache: false });
  });
});
