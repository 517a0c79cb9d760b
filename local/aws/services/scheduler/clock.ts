/**
 * The scheduler's clock: real time by default, compressible for tests and demos.
 *
 *   now = anchorVirtual + (realNow - anchorReal) * scale
 *
 * `scale` 60 makes a minute of schedule time pass every real second; `advance(ms)` jumps ahead at once. Changing the
 * scale re-anchors, so the clock never runs backwards.
 */
export class SchedulerClock {
  private anchorReal: number;
  private anchorVirtual: number;
  private currentScale: number;

  constructor(
    private readonly realNow: () => number,
    scale = 1,
  ) {
    this.anchorReal = realNow();
    this.anchorVirtual = this.anchorReal;
    this.currentScale = SchedulerClock.check(scale);
  }

  static check(scale: number): number {
    if (!Number.isFinite(scale) || scale <= 0) throw new Error(`The scheduler time scale must be a positive number, got ${scale}`);
    return scale;
  }

  get scale(): number {
    return this.currentScale;
  }

  now(): number {
    return Math.floor(this.anchorVirtual + (this.realNow() - this.anchorReal) * this.currentScale);
  }

  setScale(scale: number): void {
    const now = this.now();
    this.currentScale = SchedulerClock.check(scale);
    this.anchorVirtual = now;
    this.anchorReal = this.realNow();
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`The scheduler clock only moves forward: advance(${ms})`);
    this.anchorVirtual += ms;
  }

  /** Real milliseconds until the clock reads `at` (0 when it is due). */
  realDelayUntil(at: number): number {
    return Math.max(0, Math.ceil((at - this.now()) / this.currentScale));
  }
}
