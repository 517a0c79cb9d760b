import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (the directory holding package.json, package-lock.json and cdk.json). */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Repository-relative path of a handler's source file (what the 'palette-onboarding:handler' metadata holds). */
export const handlerSourcePath = (kebab: string): string => `lambdas/handlers/${kebab}.ts`;

export const absoluteFromRoot = (relative: string): string => join(PROJECT_ROOT, relative);
