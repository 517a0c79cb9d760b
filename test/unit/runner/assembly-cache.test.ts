/**
 * The local runner's assembly cache (local/runner/assembly.ts): old entries are pruned when a new one is synthesized,
 * but never one a process loaded within the last hour, whatever the number of variants synthesized meanwhile (a
 * test suite synthesizes several; a running test imports its bundles lazily from its entry).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAssembly, type AssemblySource } from '../../../local/runner/assembly';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'assembly-cache-'));
  dirs.push(d);
  return d;
}

/** A source whose assembly is a manifest with no stack; `salt` tells the variants apart. */
function source(inputDir: string, salt: string): AssemblySource {
  return {
    description: `variant ${salt}`,
    inputs: [inputDir],
    salt,
    synthesize: async (outdir) => writeFileSync(join(outdir, 'manifest.json'), JSON.stringify({ artifacts: {} })),
  };
}

const entries = (cacheDir: string) => readdirSync(cacheDir).filter((e) => e.startsWith('assembly-'));

describe('the assembly cache', () => {
  it('keeps every entry loaded within the hour, however many variants are synthesized meanwhile', async () => {
    // Prepare
    const inputs = tempDir();
    writeFileSync(join(inputs, 'app.ts'), 'export {};');
    const cacheDir = tempDir();
    // Act: ten variants, the first loaded again halfway through
    const first = await loadAssembly(source(inputs, 'v0'), { cacheDir });
    for (let i = 1; i < 10; i++) {
      await loadAssembly(source(inputs, `v${i}`), { cacheDir });
      if (i === 5) await loadAssembly(source(inputs, 'v0'), { cacheDir });
    }
    // Assess: nothing was pruned, the first entry is intact
    expect(entries(cacheDir)).toHaveLength(10);
    expect(existsSync(join(first.directory, 'manifest.json'))).toBe(true);
  });

  it('prunes, beyond the six most recently used, the entries nobody loaded for an hour', async () => {
    // Prepare: eight variants; three of them last used two hours ago
    const inputs = tempDir();
    writeFileSync(join(inputs, 'app.ts'), 'export {};');
    const cacheDir = tempDir();
    const loaded = [];
    for (let i = 0; i < 8; i++) loaded.push(await loadAssembly(source(inputs, `v${i}`), { cacheDir }));
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    for (const a of loaded.slice(0, 3)) utimesSync(join(a.directory, '.last-used'), twoHoursAgo, twoHoursAgo);
    // Act: a new variant is synthesized
    const latest = await loadAssembly(source(inputs, 'v8'), { cacheDir });
    // Assess: the new one and the five most recently used others stay; the stale ones beyond them are gone
    const left = entries(cacheDir);
    expect(left).toHaveLength(6);
    expect(left).toContain(`assembly-${latest.key}`);
    for (const a of loaded.slice(3)) expect(left).toContain(`assembly-${a.key}`);
    for (const a of loaded.slice(0, 3)) expect(existsSync(a.directory)).toBe(false);
  });
});
