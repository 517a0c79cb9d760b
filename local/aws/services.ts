/**
 * Service registry. IAM and STS are part of the core; S3 and Secrets Manager are loaded from
 * ./services/s3 and ./services/secretsmanager (class S3Service / SecretsManagerService, constructed
 * with the kernel). A service module that is not present is skipped (reported by `missing`), so the
 * sandbox still runs while those services are being built; any other load error is thrown.
 */
import type { Kernel } from './core/kernel';
import type { SandboxKernel, SandboxService, ServiceName } from './core/types';
import { IamService } from './services/iam';
import { StsService } from './services/sts';

type ServiceClass = new (kernel: SandboxKernel) => SandboxService;

const OPTIONAL_SERVICES: ReadonlyArray<{ name: ServiceName; specifier: string; exportName: string }> = [
  { name: 's3', specifier: './services/s3', exportName: 'S3Service' },
  { name: 'secretsmanager', specifier: './services/secretsmanager', exportName: 'SecretsManagerService' },
];

function isModuleNotFound(e: unknown, specifier: string): boolean {
  if (!(e instanceof Error)) return false;
  const code = 'code' in e ? e.code : undefined;
  const tail = specifier.replace('./', '');
  return (code === 'ERR_MODULE_NOT_FOUND' || /Cannot find (module|package)|Failed to load url/i.test(e.message)) && e.message.includes(tail);
}

function serviceClass(mod: unknown, exportName: string): ServiceClass | undefined {
  if (typeof mod !== 'object' || mod === null || !(exportName in mod)) return undefined;
  const ctor: unknown = (mod as Record<string, unknown>)[exportName];
  return typeof ctor === 'function' ? (ctor as ServiceClass) : undefined;
}

export interface ServiceRegistry {
  services: Map<ServiceName, SandboxService>;
  /** Optional services whose module is not present. */
  missing: ServiceName[];
}

export async function createServices(kernel: Kernel): Promise<ServiceRegistry> {
  const services = new Map<ServiceName, SandboxService>();
  services.set('iam', new IamService(kernel));
  services.set('sts', new StsService(kernel));
  const missing: ServiceName[] = [];
  for (const s of OPTIONAL_SERVICES) {
    let mod: unknown;
    try {
      mod = await import(/* @vite-ignore */ s.specifier);
    } catch (e) {
      if (isModuleNotFound(e, s.specifier)) {
        missing.push(s.name);
        continue;
      }
      throw e;
    }
    const Ctor = serviceClass(mod, s.exportName);
    if (!Ctor) throw new Error(`${s.specifier} does not export class ${s.exportName}`);
    const service = new Ctor(kernel);
    if (service.name !== s.name) throw new Error(`${s.exportName}.name is "${service.name}", expected "${s.name}"`);
    services.set(s.name, service);
  }
  return { services, missing };
}
