/**
 * The order vitest hands test files to its two workers (vitest.config.mts). On a clean clone (CI) vitest has no
 * durations cached and orders by file size, which put the longest file (the reliability campaign, a small file) last:
 * one worker then ran it alone for minutes. Here the long files go first, so both workers finish together:
 * - the campaign first: it waits for the first synthesis of the app (every e2e file shares it) and then runs longest;
 * - meanwhile the other worker takes the CDK assertion files (no bundling, no sandbox);
 * - then the other long end-to-end files, longest first (measured in CI);
 * - then everything else in vitest's own order (cached durations, else size).
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Path prefixes relative to the project root, in the order they start. */
export const FIRST = [
  'test/reliability/campaign.test.ts',
  'test/cdk/',
  'test/e2e/crash-recovery.test.ts',
  'test/e2e/platform-setup.test.ts',
  'test/e2e/least-privilege.test.ts',
  'test/e2e/offboarding.test.ts',
  'test/e2e/ownership.test.ts',
  'test/e2e/tenant-lease.test.ts',
  'test/e2e/workflow.test.ts',
  'test/e2e/bad-input.test.ts',
] as const;

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    const root = this.ctx.config.root.replace(/\/?$/, '/');
    const rank = (f: TestSpecification) => {
      const rel = f.moduleId.startsWith(root) ? f.moduleId.slice(root.length) : f.moduleId;
      const i = FIRST.findIndex((p) => rel.startsWith(p));
      return i < 0 ? FIRST.length : i;
    };
    // Array.prototype.sort is stable: within a rank, vitest's order stays.
    return [...ordered].sort((a, b) => rank(a) - rank(b));
  }
}
