/**
 * The declared tenants' folder (stack config `tenantsDirectory`, README "Declared tenants"), read at synth: every
 * `*.json` file in it (not in sub-folders) is one tenant's onboarding request, named `<tenantId>.json`. A file that is
 * not JSON, not a valid request, or not named for its tenant fails the synth with a ConfigError naming the file and the
 * field. An empty folder declares no tenant (and a deploy then offboards every tenant declared before).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { parseDeclaredTenantFiles, type DeclaredTenants } from '../../lambdas/domain/declared-tenants';
import { ConfigError } from './config';
import { PROJECT_ROOT } from './paths';

const KEY = 'tenantsDirectory';
/** At most this many issues are listed (the first ones, by file name). */
const MAX_LISTED = 20;

/** The folder as an absolute path: relative paths are relative to the project root (the folder holding cdk.json). */
export const declaredTenantsFolder = (directory: string): string => (isAbsolute(directory) ? directory : join(PROJECT_ROOT, directory));

/** Reads and validates the folder: tenantId -> the request as canonical JSON text. */
export function loadDeclaredTenants(directory: string): DeclaredTenants {
  const folder = declaredTenantsFolder(directory);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new ConfigError([{ key: KEY, message: `${folder} is not a folder (give a folder of <tenantId>.json onboarding requests)` }]);
  }
  const files = readdirSync(folder)
    .filter((name) => name.endsWith('.json') && !name.startsWith('.') && statSync(join(folder, name)).isFile())
    .map((fileName) => ({ fileName, text: readFileSync(join(folder, fileName), 'utf8') }));
  const { tenants, issues } = parseDeclaredTenantFiles(files);
  if (issues.length > 0) {
    const listed = issues.slice(0, MAX_LISTED).map((i) => ({ key: KEY, message: i.fileName ? `${join(directory, i.fileName)}: ${i.path || '(root)'}: ${i.message}` : `${directory}: ${i.message}` }));
    if (issues.length > MAX_LISTED) listed.push({ key: KEY, message: `and ${issues.length - MAX_LISTED} more problems` });
    throw new ConfigError(listed);
  }
  return tenants;
}
