import { configDefaults, defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/sequencer.ts';

/** What every project shares (projects do not extend the root's test options here: `extends` would merge `include`). */
const shared = {
  environment: 'node',
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks',
  env: {
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // Time compression for the local runner: every Wait state a test does not override explicitly waits 250 ms
    // (the readiness gate's first waits are 1 s; the sandboxes here propagate IAM in 100-300 ms). local/runner/runner.ts.
    LOCAL_RUNNER_WAIT_MS: '250',
  },
} as const;

export default defineConfig({
  test: {
    // Vitest's default is CPUs - 1 (one worker on a 2-core machine); most files here wait on sockets and
    // timers (sandbox, emulator, Wait states), so two workers use the machine better.
    maxWorkers: 2,
    // Long files first, so the two workers finish together (test/sequencer.ts).
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      // The CDK assertion files share their worker's modules (isolate: false): each one's first synthesis of the
      // app mostly loads aws-cdk-lib and cdk-nag (about 9 s; later ones take under a second), and they keep no
      // state between files (each builds its own App).
      { test: { ...shared, name: 'cdk', include: ['test/cdk/**/*.test.ts'], isolate: false } },
      { test: { ...shared, name: 'other', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/cdk/**'] } },
    ],
  },
});
