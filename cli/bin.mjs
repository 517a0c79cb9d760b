#!/usr/bin/env node
// palette-onboard: a small ESM shim that runs the TypeScript CLI (cli/main.ts) through tsx.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('./main.ts');
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
// Idle keep-alive sockets of SDK clients must not hold the process open.
setTimeout(() => process.exit(code), 200).unref();
