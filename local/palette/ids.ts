/** Deterministic ids, tokens and randomness for the emulator (seeded, so runs are reproducible). */
import { createHmac } from 'node:crypto';

export function hmacHex(key: string, data: string): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

/** A 24-hex-character uid (the shape Palette uses). Stable for a given seed and label. */
export function stableUid(seed: number, label: string): string {
  return hmacHex(`palette-emulator-seed-${seed}`, `uid:${label}`).slice(0, 24);
}

/** UUID-shaped (version-4 layout) string derived from a key and a label. */
export function uuidFrom(key: string, label: string): string {
  const h = hmacHex(key, label);
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Sequence of ids drawn from the seed: uids, audit ids and API key values. */
export class IdSource {
  private counter = 0;
  constructor(private readonly seed: number) {}

  uid(): string {
    return stableUid(this.seed, `seq:${this.counter++}`);
  }

  apiKeyValue(): string {
    const h = hmacHex(`palette-emulator-seed-${this.seed}`, `apikey:${this.counter++}`);
    let out = '';
    for (let i = 0; i < 32; i++) out += KEY_ALPHABET[parseInt(h.slice(i * 2, i * 2 + 2), 16) % KEY_ALPHABET.length];
    return out;
  }
}

/** mulberry32: a small seeded PRNG for fault injection and latency jitter. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
