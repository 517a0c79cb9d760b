/** Runs the palette-onboard CLI (cli/bin.mjs) as a child process and collects its output. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'cli', 'bin.mjs'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** What `--local` commands read to find a running sandbox (and plain output), on top of this process's environment. */
export function sandboxCliEnv(sb: {
  aws: { endpoint: string; accessKeyId: string; secretAccessKey: string };
  palette: { endpoint: string; apiKey: string };
}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ENDPOINT_URL: sb.aws.endpoint,
    SANDBOX_PALETTE_ENDPOINT: sb.palette.endpoint,
    SANDBOX_ACCESS_KEY_ID: sb.aws.accessKeyId,
    SANDBOX_SECRET_ACCESS_KEY: sb.aws.secretAccessKey,
    PALETTE_SANDBOX_API_KEY: sb.palette.apiKey,
    NO_COLOR: '1',
  };
}
