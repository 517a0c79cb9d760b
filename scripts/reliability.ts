/**
 * The reliability campaign at full size (issue 11 item 5): R1 200 executions with 20 % transient faults, R2 a crash
 * after every side-effecting call of every tenant kind (compensation after each), R3 a permanent failure after every
 * task of every shape, R4 a 2-minute Palette outage in the middle of 20 executions with the real retry back-off.
 * Writes bench/results/reliability.md (figures, sizes, durations, seed, date, every failure) after EVERY scenario, so a
 * campaign interrupted later keeps what finished. The full size takes hours, and memory grows with R2's crash points
 * (each crash is a cold start: the crashed function's bundle is imported afresh and ES modules are never unloaded), so
 * the npm script raises the heap (16 GB); `--only R2` etc. splits it into separate processes.
 *
 *   npm run reliability                       # full size
 *   npm run reliability -- --r1 30 --r4 6 --outage-ms 30000 --r2-compensate-every 3 --only R1,R4
 *   options: --seed N, --r1 N, --r2-shapes sts,static,full, --r2-compensate-every K, --r2-limit N,
 *            --r3-shapes ..., --r4 M, --outage-ms D, --r4-retry-ms MS (default: real back-off), --only R1,R2,R3,R4,
 *            --out FILE
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { figuresLine, runR1, runR2, runR3, runR4, SHAPE_NAMES, startCampaign, type ScenarioResult, type ShapeName } from '../test/reliability/campaign';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const num = (name: string, dflt: number) => (opt(name) !== undefined ? Number(opt(name)) : dflt);
const shapes = (name: string) => (opt(name)?.split(',') as ShapeName[] | undefined) ?? SHAPE_NAMES;
const only = new Set((opt('only') ?? 'R1,R2,R3,R4').split(','));
const seed = num('seed', 20261202);
const out = opt('out') ?? 'bench/results/reliability.md';
const FULL = { r1: 200, r4: 20, outageMs: 120_000 };

const started = new Date();
const campaign = await startCampaign({ seed, log: (l) => console.log(l) });
const results: ScenarioResult[] = [];
/** Writes what has run so far (after every scenario: a campaign that dies later keeps its finished figures). */
function write(finished: boolean): string {
  const line = figuresLine(results);
  const full =
    finished &&
    results.find((r) => r.scenario === 'R1')?.size.n === FULL.r1 &&
    results.find((r) => r.scenario === 'R4')?.size.m === FULL.r4 &&
    results.find((r) => r.scenario === 'R4')?.size.outageMs === FULL.outageMs &&
    results.length === 4 &&
    !opt('r2-limit') &&
    num('r2-compensate-every', 1) === 1 &&
    shapes('r2-shapes').length === 3 &&
    shapes('r3-shapes').length === 3;
  const md = [
    '# Reliability campaign',
    '',
    `Run ${started.toISOString()} on this machine (\`npm run reliability${args.length ? ` -- ${args.join(' ')}` : ''}\`), seed ${seed}, ` +
      `${Math.round((Date.now() - started.getTime()) / 1000)} s ${finished ? 'in all' : 'so far'}. Executions run one after the other (the local runner serializes runs in-process).`,
    '',
    ...(finished ? [] : [`**IN PROGRESS (or interrupted): only ${results.map((r) => r.scenario).join(', ') || 'nothing'} finished.**`, '']),
    full ? '**Full size** (issue 11 item 5).' : `**Reduced size, NOT the full campaign** (full: R1 ${FULL.r1}, R2 every kind every call with compensation after each, R3 every task of every shape, R4 ${FULL.r4} executions with a ${FULL.outageMs / 1000} s outage). Sizes actually run are below.`,
    '',
    `**Figures: ${line}**`,
    '',
    '| scenario | figure | size | duration |',
    '| --- | --- | --- | --- |',
    ...results.map((r) => `| ${r.scenario} | ${r.figure} | ${Object.entries(r.size).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`).join(', ')} | ${(r.durationMs / 1000).toFixed(0)} s |`),
    '',
    '## Notes',
    '',
    ...results.flatMap((r) => r.notes.map((n) => `- ${r.scenario}: ${n}`)),
    '',
    '## Failures',
    '',
    ...(results.every((r) => r.failures.length === 0)
      ? ['None.']
      : results.flatMap((r) => r.failures.map((f) => `- **${f.scenario}** ${f.subject} — ${f.check}: ${f.detail.replace(/\|/g, '\\|').slice(0, 800)}`))),
    '',
  ].join('\n');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, md);
  return line;
}
const step = async (r: Promise<ScenarioResult>) => {
  results.push(await r);
  write(false);
};
try {
  if (only.has('R1')) await step(runR1(campaign, { n: num('r1', FULL.r1), rate: 0.2 }));
  if (only.has('R2')) await step(runR2(campaign, { shapes: shapes('r2-shapes'), compensateEvery: num('r2-compensate-every', 1), ...(opt('r2-limit') ? { limit: num('r2-limit', 0) } : {}) }));
  if (only.has('R3')) await step(runR3(campaign, { shapes: shapes('r3-shapes') }));
  if (only.has('R4')) await step(runR4(campaign, { m: num('r4', FULL.r4), outageMs: num('outage-ms', FULL.outageMs), ...(opt('r4-retry-ms') ? { retryMs: num('r4-retry-ms', 0) } : {}) }));
} finally {
  await campaign.stop();
}
const line = write(true);
console.log(`\n${line}\nwritten to ${out}`);
