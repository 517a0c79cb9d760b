import type { CredentialRecord, CredentialStore } from './types';

/** In-memory credential store: account admin keys, IAM user keys and STS session keys. */
export class MemoryCredentialStore implements CredentialStore {
  private readonly records = new Map<string, CredentialRecord>();

  register(record: CredentialRecord): void {
    this.records.set(record.accessKeyId, { ...record });
  }

  lookup(accessKeyId: string): CredentialRecord | undefined {
    return this.records.get(accessKeyId);
  }

  update(accessKeyId: string, patch: Partial<Pick<CredentialRecord, 'active'>>): void {
    const r = this.records.get(accessKeyId);
    if (r) this.records.set(accessKeyId, { ...r, ...patch });
  }

  remove(accessKeyId: string): void {
    this.records.delete(accessKeyId);
  }

  list(): CredentialRecord[] {
    return [...this.records.values()];
  }

  /** Drops expired STS sessions (kept for a grace period so callers still get ExpiredToken, not an unknown key). */
  purgeExpired(now: number, graceMs = 24 * 3600_000): void {
    for (const [id, r] of this.records) {
      if (r.expiresAt !== undefined && r.expiresAt + graceMs < now) this.records.delete(id);
    }
  }

  snapshot(): CredentialRecord[] {
    return this.list().map((r) => ({ ...r }));
  }

  restore(records: CredentialRecord[]): void {
    this.records.clear();
    for (const r of records) this.records.set(r.accessKeyId, { ...r });
  }
}
