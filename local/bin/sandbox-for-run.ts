/**
 * The sandbox a local run (run-local, run-bulk) works on: the one running (`npm run sandbox`, found through the
 * environment), else one started in-process for this run and stopped by `stop`. Undefined, after saying why on stderr,
 * when the configured sandbox cannot be used.
 */
import { sandboxOptionsFromEnv } from '../aws';
import type { ProgressEvent } from '../runner/execute';
import { detectRunningSandbox, type SandboxLike } from '../runner/sandbox';
import { startLocalSandbox } from '../sandbox';

export interface SandboxForRun {
  sandbox: SandboxLike;
  /** Stops the sandbox this run started (a no-op for a running one). */
  stop(): Promise<void>;
}

export async function sandboxForRun(script: string, report: (e: ProgressEvent) => void): Promise<SandboxForRun | undefined> {
  const detected = await detectRunningSandbox(process.env, undefined, (line) => process.stderr.write(`${line}\n`));
  if (detected.state === 'running') {
    report({ kind: 'prepare', message: `using the sandbox running at ${detected.endpoints.aws.endpoint} (Palette ${detected.endpoints.palette.endpoint})` });
    return { sandbox: detected.endpoints, stop: async () => undefined };
  }
  if (detected.state === 'absent') {
    report({ kind: 'prepare', message: `no sandbox at ${detected.endpoints.awsEndpoint} / ${detected.endpoints.paletteEndpoint}: starting one in-process` });
    const own = await startLocalSandbox({ aws: { ...sandboxOptionsFromEnv(), port: 0 }, palette: { port: 0 } });
    report({ kind: 'prepare', message: `sandbox: AWS ${own.aws.endpoint}, Palette ${own.palette.endpoint}` });
    return { sandbox: own, stop: () => own.stop() };
  }
  process.stderr.write(`${script}: cannot use the configured sandbox: ${detected.reason}\n`);
  return undefined;
}
