/**
 * Optional state file: the kernel snapshot (accounts, credentials incl. STS sessions, IAM entities)
 * plus each service's snapshot(). Loaded at start; written debounced after requests and on stop.
 * Writes are atomic (temp file + rename).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KernelSnapshot } from './kernel';

export interface SandboxStateFile {
  format: 'palette-onboarding-aws-sandbox';
  version: 1;
  savedAt: string;
  kernel: KernelSnapshot;
  services: Record<string, unknown>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a state file; undefined if it does not exist. Throws on a corrupt or foreign file. */
export function loadStateFile(path: string): SandboxStateFile | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  if (text.trim() === '') return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`Sandbox state file ${path} is not valid JSON`);
  }
  if (!isRecord(data) || data.format !== 'palette-onboarding-aws-sandbox' || data.version !== 1 || !isRecord(data.kernel) || !isRecord(data.services)) {
    throw new Error(`Sandbox state file ${path} has an unknown format`);
  }
  // Shape of kernel/services is our own output; trust it past the envelope check.
  return data as unknown as SandboxStateFile;
}

export class StatePersister {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly path: string,
    private readonly collect: () => SandboxStateFile,
    private readonly delayMs = 200,
  ) {}

  /** Debounced write. */
  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.delayMs);
    this.timer.unref();
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.collect(), null, 1)}\n`, { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}
