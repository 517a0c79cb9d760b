import { App } from 'aws-cdk-lib';
import { composeOnboardingApp } from '../lib/app';

// Context (config keys, feature flags) comes from cdk.json / `-c key=value`; see cdk/lib/config.ts.
composeOnboardingApp(new App());
