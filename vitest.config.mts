import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/sequencer.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is CPUs - 1 (one worker on a 2-core machine); most files here wait on sockets and
    // timers (sandbox, emulator, Wait states), so two workers use the machine better.
    maxWorkers: 2,
    // Long files first, so the two workers finish together (test/sequencer.ts).
    sequence: { sequencer: LongestFirstSequencer },
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
