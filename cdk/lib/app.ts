import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from './config';
import { absoluteFromRoot } from './paths';
import { PaletteOnboardingStack } from './stacks/palette-onboarding-stack';

/** Construct id (and CloudFormation stack name) of the onboarding stack; template: cdk.out/<id>.template.json */
export const STACK_ID = 'PaletteOnboardingStack';

/** Context key that makes CDK write `aws:asset:path` metadata on asset-backed resources (the CLI sets it). */
export const ASSET_METADATA_CONTEXT = 'aws:cdk:enable-asset-metadata';
/** Context key listing the stacks whose assets are bundled; [] = bundle nothing (faster, template-only synth). */
export const BUNDLING_STACKS_CONTEXT = 'aws:cdk:bundling-stacks';

/** Adds the stacks and the cdk-nag AwsSolutions validation plugin to `app` (used by cdk/bin/app.ts). */
export function composeOnboardingApp(app: App): { stack: PaletteOnboardingStack } {
  const stack = new PaletteOnboardingStack(app, STACK_ID, { config: loadConfig(app.node) });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stack };
}

/** The "context" object of cdk.json. */
export function cdkJsonContext(): Record<string, unknown> {
  const parsed: unknown = JSON.parse(readFileSync(absoluteFromRoot('cdk.json'), 'utf8'));
  if (typeof parsed === 'object' && parsed !== null && 'context' in parsed) {
    const context = parsed.context;
    if (typeof context === 'object' && context !== null) return { ...context };
  }
  return {};
}

export interface InProcessAppOptions {
  /** Context overrides on top of cdk.json's context (e.g. config keys). */
  readonly context?: Record<string, unknown>;
  /** Cloud assembly directory (default: a temporary directory). */
  readonly outdir?: string;
  /** Skip esbuild bundling (template-only synth; asset paths then point at unbundled placeholders). */
  readonly skipBundling?: boolean;
}

/**
 * The app as `npx cdk synth` builds it, for in-process synthesis (tests, local runner): cdk.json context,
 * asset metadata on (`Metadata['aws:asset:path']` on each function), cdk-nag plugin registered.
 */
export function createOnboardingApp(options: InProcessAppOptions = {}): { app: App; stack: PaletteOnboardingStack } {
  const app = new App({
    context: {
      ...cdkJsonContext(),
      [ASSET_METADATA_CONTEXT]: true,
      ...(options.skipBundling ? { [BUNDLING_STACKS_CONTEXT]: [] } : {}),
      ...options.context,
    },
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  return { app, ...composeOnboardingApp(app) };
}
