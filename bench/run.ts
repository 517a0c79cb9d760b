/**
 * `npm run bench`: runs every benchmark in one process and prints each one's table. Targets are reported as
 * ratios measured in the same run (this machine is noisy; absolute times vary).
 */
import * as sandboxOverhead from './sandbox-overhead';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

interface Bench {
  title: string;
  run: () => Promise<string>;
}

const benches: Bench[] = [
  {
    title: 'AWS sandbox: median per-call overhead (target ≤ 2 ms)',
    run: async () => sandboxOverhead.formatTable(await sandboxOverhead.run()),
  },
];

async function main(): Promise<void> {
  const only = process.argv[2];
  for (const b of benches) {
    if (only && !b.title.toLowerCase().includes(only.toLowerCase())) continue;
    process.stdout.write(`\n== ${b.title}\n`);
    process.stdout.write(`${await b.run()}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
