/** What `npm run sandbox` prints about the loaded app (banner, JSON ready line, activity lines). */
import type { LoadedApp } from './index';
import type { AppActivity } from './runtime';

export interface AppReadyInfo {
  stackName: string;
  outputs: Record<string, string>;
  stateMachines: Array<{ name: string; arn: string }>;
  eventBuses: Array<{ name: string; arn: string }>;
  rules: Array<{ name: string; arn: string }>;
  queues: Array<{ name: string; url: string; arn: string }>;
  functions: Array<{ name: string; arn: string }>;
  eventSources: Array<{ queueArn: string; functionName: string; batchSize: number; reportBatchItemFailures: boolean }>;
  schedules: Array<{ name: string; arn: string }>;
  tables: string[];
  unsupported: Array<{ logicalId: string; type: string; reason: string }>;
  failed: Array<{ logicalId: string; type: string; error: string }>;
}

export function appReadyInfo(app: LoadedApp): AppReadyInfo {
  return {
    stackName: app.report.stackName,
    outputs: app.outputs,
    stateMachines: app.stateMachines.map((s) => ({ name: s.name, arn: s.arn })),
    eventBuses: app.eventBuses,
    rules: app.rules,
    queues: app.queues,
    functions: app.functions.map((f) => ({ name: f.name, arn: f.arn })),
    eventSources: app.eventSources,
    schedules: app.schedules,
    tables: app.tables,
    unsupported: app.stacks.flatMap((s) => s.report.unsupported),
    failed: app.stacks.flatMap((s) => s.report.failed),
  };
}

const last = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);

export function appBanner(app: LoadedApp, env: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string }): string {
  const info = appReadyInfo(app);
  const lines: string[] = [
    '',
    `The app (stack ${info.stackName}) is loaded and running in the sandbox.`,
    '',
    `  state machines      ${info.stateMachines.map((s) => s.name).join(', ')}`,
    `  event buses         ${info.eventBuses.map((b) => b.name).join(', ')}`,
    `  rules               ${info.rules.map((r) => r.name).join(', ')}`,
    `  queues              ${info.queues.map((q) => q.name).join(', ')}`,
    `  event sources       ${info.eventSources.map((s) => `${last(s.queueArn)} -> ${s.functionName} (batch ${s.batchSize}${s.reportBatchItemFailures ? ', partial batch responses' : ''})`).join('; ') || '(none)'}`,
    `  schedules           ${info.schedules.map((s) => s.name).join(', ') || '(none)'}`,
    `  tables              ${info.tables.join(', ')}`,
    `  functions           ${info.functions.length} bundled`,
    '',
    'Stack outputs (aws cloudformation describe-stacks --stack-name ' + info.stackName + '):',
    ...Object.entries(info.outputs).map(([k, v]) => `  ${k.padEnd(28)} ${v}`),
  ];
  if (info.unsupported.length > 0) {
    lines.push('', 'Not reproduced locally:');
    for (const u of info.unsupported) lines.push(`  ${u.logicalId} (${u.type}): ${u.reason}`);
  }
  if (info.failed.length > 0) {
    lines.push('', 'FAILED to load (the app is incomplete):');
    for (const f of info.failed) lines.push(`  ${f.logicalId} (${f.type}): ${f.error}`);
  }
  const bus = info.outputs.EventBusName ?? info.eventBuses[0]?.name ?? 'palette-onboarding';
  lines.push(
    '',
    'Try it like production (another shell):',
    `  export AWS_ENDPOINT_URL=${env.endpoint} AWS_REGION=${env.region} AWS_DEFAULT_REGION=${env.region}`,
    `  export AWS_ACCESS_KEY_ID=${env.accessKeyId} AWS_SECRET_ACCESS_KEY=${env.secretAccessKey}`,
    `  aws events put-events --entries '[{"EventBusName":"${bus}","Source":"palette.onboarding","DetailType":"Tenant Onboarding Requested",` +
      `"Detail":"{\\"tenantId\\":\\"acme\\",\\"aws\\":{\\"accountId\\":\\"111111111111\\",\\"region\\":\\"${env.region}\\",\\"credentialMode\\":\\"sts\\"}}"}]'`,
    `  aws stepfunctions list-executions --state-machine-arn ${info.outputs.StateMachineArn ?? '<StateMachineArn>'}`,
    '  palette-onboard start examples/sts-tenant.json     # no --local: the deployed mode, against the sandbox',
    '  palette-onboard list; palette-onboard status acme',
    '',
    'Executions and invocations are printed below as they happen. Press Ctrl+C to stop.',
  );
  return `${lines.join('\n')}\n`;
}

export function describeActivity(a: AppActivity): string {
  const at = new Date().toISOString().slice(11, 19);
  switch (a.kind) {
    case 'execution-started':
      return `${at} execution ${last(a.executionArn)} of ${a.stateMachine} started`;
    case 'execution-finished':
      return `${at} execution ${last(a.executionArn)} of ${a.stateMachine} ${a.status}${a.error ? `: ${a.error}${a.cause ? ` (${a.cause})` : ''}` : ''}`;
    case 'invocation': {
      const i = a.invocation;
      const outcome = i.status === 'SUCCEEDED' ? `returned ${JSON.stringify(i.result)}`.slice(0, 300) : `FAILED ${i.error ?? ''}${i.errorMessage ? `: ${i.errorMessage}` : ''}`;
      return `${at} ${i.functionName} (${i.trigger}) ${outcome}`;
    }
    case 'events-published':
      return `${at} ${a.count} event(s) of ${last(a.executionArn)} put on EventBridge${a.failed > 0 ? ` (${a.failed} failed)` : ''}`;
    case 'error':
      return `${at} error: ${a.message}`;
  }
}
