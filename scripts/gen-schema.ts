/**
 * Writes the JSON Schemas generated from zod: the onboarding request (lambdas/domain/request.ts) to
 * schema/onboarding-request.schema.json, and each event detail (lambdas/domain/events.ts) to
 * schema/events/<detail-type>.schema.json (a stale file there is removed). `--check` fails when a committed file is
 * out of date, missing or stale.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventSchemaFiles } from '../lambdas/domain/events-schema';
import { requestJsonSchemaText } from '../lambdas/domain/request-schema';

const schemaDir = fileURLToPath(new URL('../schema/', import.meta.url));
const eventsDir = join(schemaDir, 'events');

const generated = new Map<string, string>([
  [join(schemaDir, 'onboarding-request.schema.json'), requestJsonSchemaText()],
  ...eventSchemaFiles().map((f): [string, string] => [join(eventsDir, f.fileName), f.text]),
]);
const existingEventFiles = (() => {
  try {
    return readdirSync(eventsDir).filter((n) => n.endsWith('.schema.json')).map((n) => join(eventsDir, n));
  } catch {
    return [];
  }
})();
const stale = existingEventFiles.filter((p) => !generated.has(p));

if (process.argv.includes('--check')) {
  const problems: string[] = [];
  for (const [target, text] of generated) {
    let current: string | undefined;
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      // missing counts as out of date
    }
    if (current !== text) problems.push(`${target} is ${current === undefined ? 'missing' : 'out of date'}`);
  }
  for (const p of stale) problems.push(`${p} is not generated from any schema`);
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\nrun npm run gen:schema\n`);
    process.exit(1);
  }
  process.stdout.write(`${generated.size} schema files are up to date\n`);
} else {
  mkdirSync(eventsDir, { recursive: true });
  for (const [target, text] of generated) {
    writeFileSync(target, text);
    process.stdout.write(`wrote ${target}\n`);
  }
  for (const p of stale) {
    rmSync(p);
    process.stdout.write(`removed ${p}\n`);
  }
}
