// Entry of the sandbox thread (bench/sandbox-thread.ts): a worker does not inherit tsx's loader, so it registers it.
import { register } from 'tsx/esm/api';

register();
await import('./sandbox-thread.ts');
