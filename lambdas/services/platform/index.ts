/** Self-hosted platform setup services (docs/platform-setup.md). */
export { checkSystemLogin, registerStsAccount } from './registration';
export { cleanupAccessKeys, ensureAccessKey, ensureStsUser, rotateAccessKey, undoStsPrincipal } from './principal';
export { checkReverseProxySecret, configureReverseProxy, readReverseProxySecret } from './reverse-proxy';
export { deployRunStatus, startDeployRun, DeployEventSchema, type IsCompleteResult, type OnEventResult } from './deploy';
export { loadPlatformEnv, PlatformEnvSchema } from './env';
export { AccessKeyNotReadyError, StsAccountNotOursError, SystemLoginError } from './errors';
