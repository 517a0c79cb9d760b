/**
 * Firing schedules on the scheduler clock (clock.ts) and delivering to their targets through the kernel's TargetRouter
 * (core/targets.ts), as EventBridge Scheduler does:
 *
 * - every occurrence of an ENABLED schedule becomes an invocation with its own execution id; a FLEXIBLE time window
 *   delays it by a seeded random part of the window;
 * - the invocation delivers `Target.Input` (`{}` when the schedule has none) with the context attributes
 *   `<aws.scheduler.schedule-arn>`, `<aws.scheduler.scheduled-time>`, `<aws.scheduler.execution-id>` and
 *   `<aws.scheduler.attempt-number>` substituted, as a session of `Target.RoleArn` assumed by scheduler.amazonaws.com
 *   (the receiver checks the role's trust policy and permissions), with `SqsParameters` / `EventBridgeParameters` as
 *   the delivery's `parameters`;
 * - a retryable failure is retried with exponential backoff (1 s, 2 s, 4 s, ... capped at 5 min, schedule time) while
 *   attempts stay within `RetryPolicy.MaximumRetryAttempts` + 1 and the event is younger than
 *   `MaximumEventAgeInSeconds` (defaults 185 and 86400); then, or at once for a non-retryable failure, the payload goes
 *   to `DeadLetterConfig.Arn` (delivered with the same role) with the message attributes ERROR_CODE, ERROR_MESSAGE,
 *   EXECUTION_ID, RETRY_ATTEMPTS, SCHEDULE_ARN and TARGET_ARN (SQS `MessageAttributes` shape, in `parameters`);
 * - a schedule with no occurrence left and ActionAfterCompletion DELETE deletes itself.
 *
 * One timer (unref'd) waits for the earliest due item; `fireDue()` runs everything due, in time order, one delivery at a
 * time; `close()` stops the timer for good.
 */
import { randomUUID } from 'node:crypto';
import { Prng } from '../../core/realism';
import type { DeliveryResult, TargetDelivery, TargetRouter } from '../../core/targets';
import type { SchedulerClock } from './clock';
import { nextOccurrence, parseExpression } from './expression';
import type { Schedule, ScheduleTarget } from './model';

export const SCHEDULER_PRINCIPAL = 'scheduler.amazonaws.com';
const MAX_BACKOFF_MS = 300_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One execution of a schedule (an occurrence), with its delivery attempts. */
export interface Invocation {
  executionId: string;
  accountId: string;
  scheduleArn: string;
  target: ScheduleTarget;
  /** The occurrence on the scheduler clock (ms). */
  scheduledTime: number;
  /** When the next attempt is due (scheduler clock, ms). */
  due: number;
  /** The number of the next attempt (1 = first). */
  attempt: number;
}

/** What happened to one attempt (in-process observers, `SchedulerService.onInvocation`). */
export interface InvocationEvent {
  executionId: string;
  scheduleArn: string;
  targetArn: string;
  scheduledTime: number;
  attempt: number;
  result: DeliveryResult;
  /** What follows: done, another attempt, the dead-letter queue, or dropped (failed with no DLQ). */
  outcome: 'delivered' | 'retry' | 'dead-letter' | 'dropped';
}

export interface EngineHost {
  schedules(): Iterable<Schedule>;
  /** Removes a schedule that completed with ActionAfterCompletion DELETE. */
  deleteCompleted(s: Schedule): void;
  targets: TargetRouter;
}

export function scheduleTimezone(s: Pick<Schedule, 'timezone'>): string {
  return s.timezone ?? 'UTC';
}

/** The next occurrence of `s` at or after `from` (scheduler clock), or undefined. */
export function computeNextFire(s: Schedule, from: number): number | undefined {
  return nextOccurrence(
    {
      expression: parseExpression(s.expression),
      timezone: scheduleTimezone(s),
      anchor: s.anchor,
      ...(s.startDate !== undefined ? { startDate: s.startDate } : {}),
      ...(s.endDate !== undefined ? { endDate: s.endDate } : {}),
    },
    from,
  );
}

const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function substituteContext(text: string, inv: Pick<Invocation, 'scheduleArn' | 'scheduledTime' | 'executionId' | 'attempt'>): string {
  return text
    .split('<aws.scheduler.schedule-arn>')
    .join(inv.scheduleArn)
    .split('<aws.scheduler.scheduled-time>')
    .join(isoSeconds(inv.scheduledTime))
    .split('<aws.scheduler.execution-id>')
    .join(inv.executionId)
    .split('<aws.scheduler.attempt-number>')
    .join(String(inv.attempt));
}

function deliveryParameters(t: ScheduleTarget): Record<string, unknown> | undefined {
  if (t.SqsParameters) return { ...t.SqsParameters };
  if (t.EventBridgeParameters) return { ...t.EventBridgeParameters };
  const other = t.other === undefined ? undefined : Object.values(t.other)[0];
  return other === undefined ? undefined : { ...other };
}

const backoff = (attempt: number): number => Math.min(1000 * 2 ** (attempt - 1), MAX_BACKOFF_MS);

export class SchedulerEngine {
  private pending: Invocation[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly flex = new Prng(0x5c4ed01e);
  private readonly observers = new Set<(e: InvocationEvent) => void>();

  constructor(
    private readonly host: EngineHost,
    readonly clock: SchedulerClock,
  ) {}

  /** Invocations waiting for an attempt (snapshot). */
  pendingInvocations(): Invocation[] {
    return this.pending.map((i) => ({ ...i }));
  }

  restorePending(items: Invocation[]): void {
    this.pending = items.map((i) => ({ ...i }));
  }

  /** Drops pending invocations of a schedule (DeleteSchedule). Attempts of completed at() schedules stay. */
  dropPending(scheduleArn: string): void {
    this.pending = this.pending.filter((i) => i.scheduleArn !== scheduleArn);
  }

  onInvocation(fn: (e: InvocationEvent) => void): () => void {
    this.observers.add(fn);
    return () => void this.observers.delete(fn);
  }

  /** Runs everything due now (in time order, one delivery at a time); resolves with the attempts made. */
  fireDue(): Promise<number> {
    const run = this.chain.then(() => this.run());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** (Re)arms the timer for the earliest due item. */
  arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed) return;
    const due = this.earliest()?.at;
    if (due === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fireDue().catch((e: unknown) => {
        process.stderr.write(`[sandbox] scheduler: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      });
    }, Math.min(this.clock.realDelayUntil(due), MAX_TIMER_MS));
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain;
  }

  private earliest(): { at: number; schedule?: Schedule; invocation?: Invocation } | undefined {
    let best: { at: number; schedule?: Schedule; invocation?: Invocation } | undefined;
    for (const s of this.host.schedules()) {
      if (s.state !== 'ENABLED' || s.nextFire === undefined) continue;
      if (!best || s.nextFire < best.at) best = { at: s.nextFire, schedule: s };
    }
    for (const inv of this.pending) if (!best || inv.due < best.at) best = { at: inv.due, invocation: inv };
    return best;
  }

  private async run(): Promise<number> {
    let attempts = 0;
    try {
      for (;;) {
        if (this.closed) break;
        const item = this.earliest();
        if (!item || item.at > this.clock.now()) break;
        if (item.schedule) this.dispatch(item.schedule, item.at);
        else if (item.invocation) {
          this.pending = this.pending.filter((i) => i !== item.invocation);
          await this.attempt(item.invocation);
          attempts++;
        }
      }
    } finally {
      this.arm();
    }
    return attempts;
  }

  /** An occurrence of `s` at `at`: a new invocation, and the schedule moves to its next occurrence. */
  private dispatch(s: Schedule, at: number): void {
    const window = s.flexibleTimeWindow.Mode === 'FLEXIBLE' ? (s.flexibleTimeWindow.MaximumWindowInMinutes ?? 0) * 60_000 : 0;
    this.pending.push({
      executionId: randomUUID(),
      accountId: s.accountId,
      scheduleArn: s.arn,
      target: structuredClone(s.target),
      scheduledTime: at,
      due: at + Math.floor(this.flex.next() * window),
      attempt: 1,
    });
    s.fired++;
    s.nextFire = computeNextFire(s, at + 1);
    if (s.nextFire === undefined && s.actionAfterCompletion === 'DELETE') this.host.deleteCompleted(s);
  }

  private async attempt(inv: Invocation): Promise<void> {
    const t = inv.target;
    const input = substituteContext(t.Input ?? '{}', inv);
    const params = deliveryParameters(t);
    const delivery: TargetDelivery = {
      arn: t.Arn,
      roleArn: t.RoleArn,
      input,
      via: SCHEDULER_PRINCIPAL,
      sourceArn: inv.scheduleArn,
      sourceAccount: inv.accountId,
      ...(params ? { parameters: params } : {}),
    };
    const result = await this.deliver(delivery);
    if (result.ok) return this.notify(inv, result, 'delivered');
    const nextDue = inv.due + backoff(inv.attempt);
    const withinAttempts = inv.attempt < t.RetryPolicy.MaximumRetryAttempts + 1;
    const withinAge = nextDue - inv.scheduledTime <= t.RetryPolicy.MaximumEventAgeInSeconds * 1000;
    if (result.retryable && withinAttempts && withinAge) {
      this.notify(inv, result, 'retry');
      this.pending.push({ ...inv, attempt: inv.attempt + 1, due: nextDue });
      return;
    }
    const dlq = t.DeadLetterConfig?.Arn;
    this.notify(inv, result, dlq === undefined ? 'dropped' : 'dead-letter');
    if (dlq === undefined) return;
    const attr = (v: string) => ({ DataType: 'String', StringValue: v });
    await this.deliver({
      arn: dlq,
      roleArn: t.RoleArn,
      input,
      via: SCHEDULER_PRINCIPAL,
      sourceArn: inv.scheduleArn,
      sourceAccount: inv.accountId,
      parameters: {
        MessageAttributes: {
          ERROR_CODE: attr(result.code),
          ERROR_MESSAGE: attr(result.message),
          EXECUTION_ID: attr(inv.executionId),
          RETRY_ATTEMPTS: attr(String(inv.attempt - 1)),
          SCHEDULE_ARN: attr(inv.scheduleArn),
          TARGET_ARN: attr(t.Arn),
        },
      },
    });
  }

  private async deliver(d: TargetDelivery): Promise<DeliveryResult> {
    try {
      return await this.host.targets.deliver(d);
    } catch (e) {
      return { ok: false, code: 'InternalFailure', message: e instanceof Error ? e.message : String(e), retryable: true };
    }
  }

  private notify(inv: Invocation, result: DeliveryResult, outcome: InvocationEvent['outcome']): void {
    const event: InvocationEvent = {
      executionId: inv.executionId,
      scheduleArn: inv.scheduleArn,
      targetArn: inv.target.Arn,
      scheduledTime: inv.scheduledTime,
      attempt: inv.attempt,
      result,
      outcome,
    };
    for (const fn of [...this.observers]) {
      try {
        fn(event);
      } catch {
        // An observer never changes what the scheduler does.
      }
    }
  }
}
