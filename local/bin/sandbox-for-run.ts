/**
 * The sandbox a local run (run-local, run-bulk) works on: the one running (`npm run sandbox`, found through the
 * environment), else one started in-process for this run and stopped by `stop`. Undefined, after saying why on stderr,
 * when the configured sandbox cannot be used.
 *
 * `{app: true}` (run-local, `palette-onboard start --local`): an in-process sandbox also gets the synthesized app
 * loaded (local/app/), so the run goes through the deployed code path (StartExecution on the sandbox's Step Functions).
 */
import { sandboxOptionsFromEnv } from '../aws';
import { loadApp, type LoadedApp } from '../app/index';
import type { ProgressEvent } from '../runner/execute';
import type { LocalWorkflow } from '../runner/runner';
import { detectRunningSandbox, type SandboxLike } from '../runner/sandbox';
import { startLocalSandbox } from '../sandbox';

export interface SandboxForRun {
  sandbox: SandboxLike;
  /** The app loaded into the sandbox this run started (with `{app}`). */
  app?: LoadedApp;
  /** True for a sandbox that was already running (another process). */
  running: boolean;
  /** Stops the sandbox this run started (a no-op for a running one). */
  stop(): Promise<void>;
}

export interface SandboxForRunOptions {
  /** Load the app into a sandbox this run starts (the workflow already synthesized); `echoLogs`: print what handlers log. */
  app?: { workflow: LocalWorkflow; echoLogs?: boolean };
}

export async function sandboxForRun(script: string, report: (e: ProgressEvent) => void, opts: SandboxForRunOptions = {}): Promise<SandboxForRun | undefined> {
  const detected = await detectRunningSandbox(process.env, undefined, (line) => process.stderr.write(`${line}\n`));
  if (detected.state === 'running') {
    report({ kind: 'prepare', message: `using the sandbox running at ${detected.endpoints.aws.endpoint} (Palette ${detected.endpoints.palette.endpoint})` });
    return { sandbox: detected.endpoints, running: true, stop: async () => undefined };
  }
  if (detected.state === 'absent') {
    report({ kind: 'prepare', message: `no sandbox at ${detected.endpoints.awsEndpoint} / ${detected.endpoints.paletteEndpoint}: starting one in-process` });
    const own = await startLocalSandbox({ aws: { ...sandboxOptionsFromEnv(), port: 0 }, palette: { port: 0 } });
    report({ kind: 'prepare', message: `sandbox: AWS ${own.aws.endpoint}, Palette ${own.palette.endpoint}` });
    if (!opts.app) return { sandbox: own, running: false, stop: () => own.stop() };
    let app: LoadedApp;
    try {
      app = await loadApp(own, { workflow: opts.app.workflow, ...(opts.app.echoLogs ? { run: { echoLogs: true } } : {}) });
    } catch (e) {
      await own.stop();
      throw e;
    }
    const problems = [...app.report.failed.map((f) => `${f.logicalId}: ${f.error}`)];
    if (problems.length > 0) report({ kind: 'prepare', message: `the app loaded with failures: ${problems.join('; ')}` });
    report({ kind: 'prepare', message: `the app (stack ${app.report.stackName}) is loaded into it: ${app.stateMachines.length} state machines, ${app.functions.length} functions` });
    return {
      sandbox: own,
      app,
      running: false,
      stop: async () => {
        await app.stop();
        await own.stop();
      },
    };
  }
  process.stderr.write(`${script}: cannot use the configured sandbox: ${detected.reason}\n`);
  return undefined;
}
