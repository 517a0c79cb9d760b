/**
 * Writes the JSON Schema of the onboarding request (lambdas/domain/request.ts) to
 * schema/onboarding-request.schema.json. `--check` fails when the committed file is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { requestJsonSchemaText } from '../lambdas/domain/request-schema';

const target = fileURLToPath(new URL('../schema/onboarding-request.schema.json', import.meta.url));
const text = requestJsonSchemaText();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing counts as out of date
  }
  if (current !== text) {
    process.stderr.write(`${target} is out of date: run npm run gen:schema\n`);
    process.exit(1);
  }
  process.stdout.write(`${target} is up to date\n`);
} else {
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target}\n`);
}
