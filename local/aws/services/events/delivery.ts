/**
 * Asynchronous delivery of matched events to rule targets, as EventBridge does it (eb-rule-dlq): PutEvents answers
 * first; each (event, target) pair is then handed to the kernel's TargetRouter (core/targets.ts) with
 * `via: events.amazonaws.com` and the rule as the source. A retryable failure is retried with exponential backoff and
 * jitter until the target's RetryPolicy is exhausted (MaximumRetryAttempts, default 185, retries after the first
 * attempt; MaximumEventAgeInSeconds, default 86400); a non-retryable one (no permission, no such target) is not
 * retried. Then the ORIGINAL event goes to the target's DeadLetterConfig queue (through the TargetRouter too, same
 * `via` and source), with the message attributes ERROR_CODE, ERROR_MESSAGE, RULE_ARN, TARGET_ARN, RETRY_ATTEMPTS and,
 * after retries, EXHAUSTED_RETRY_CONDITION (`MaximumRetryAttemptsExhausted` / `MaximumEventAgeExhausted`), in SQS's
 * `MessageAttributes` shape under `parameters.MessageAttributes`; without a DLQ the event is dropped.
 *
 * Time is compressed: the backoff follows AWS's shape (1 s doubling up to 480 s, so that 185 attempts span ~24 h) in
 * simulated time, and the sandbox waits `timeScale` real ms per simulated ms (default 0.001: a 480 s backoff waits
 * 480 ms). The event's age for MaximumEventAgeInSeconds is its simulated age (the backoffs waited, or the real time
 * elapsed when that is longer), so an age limit behaves as on AWS whatever the scale.
 */
import type { DeliveryResult, TargetRouter } from '../../core/targets';

export const DEFAULT_MAX_RETRY_ATTEMPTS = 185;
export const DEFAULT_MAX_EVENT_AGE_SECONDS = 86_400;
export const EVENTS_PRINCIPAL = 'events.amazonaws.com';

export interface DeliveryOptions {
  /** Real milliseconds waited per simulated millisecond of backoff (1 = AWS's real pace). Default 0.001. */
  timeScale: number;
  /** Simulated delay before the first retry (ms), doubling per retry. Default 1000. */
  baseDelayMs: number;
  /** Cap of the simulated delay (ms). Default 480000. */
  maxDelayMs: number;
}

export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = { timeScale: 0.001, baseDelayMs: 1000, maxDelayMs: 480_000 };

/** Counters since the service started (EventBridge's CloudWatch metrics, roughly). */
export interface DeliveryStats {
  /** (event, target) pairs produced by matching rules (the TriggeredRules x targets). */
  matched: number;
  /** Calls to targets, retries included (Invocations). */
  attempts: number;
  /** Successful deliveries. */
  delivered: number;
  /** Failed calls to targets, retries included. */
  failedAttempts: number;
  /** Retries scheduled. */
  retries: number;
  /** Events given up on (retries exhausted or not retryable) — FailedInvocations. */
  failed: number;
  /** Of those, sent to their DLQ (InvocationsSentToDLQ). */
  deadLettered: number;
  /** Of those, whose DLQ refused them (InvocationsFailedToBeSentToDLQ). */
  deadLetterFailures: number;
  /** Of those, without a DLQ: dropped. */
  dropped: number;
  /** Events not forwarded to a bus target because they already came from another bus (one hop only). */
  skippedBusHops: number;
}

export interface DeliveryJob {
  /** The original event (JSON), what a DLQ receives. */
  eventJson: string;
  /** What the target receives. */
  input: string;
  targetId: string;
  targetArn: string;
  roleArn?: string;
  parameters?: Record<string, unknown>;
  maxRetryAttempts: number;
  maxEventAgeSeconds: number;
  deadLetterArn?: string;
  ruleArn: string;
  ruleAccount: string;
  /** Epoch ms EventBridge received the event. */
  ingestedAt: number;
}

/** A failed event as its DLQ message records it (for tests and debugging). */
export interface FailedDelivery {
  ruleArn: string;
  targetArn: string;
  code: string;
  message: string;
  retryAttempts: number;
  exhaustedRetryCondition?: 'MaximumRetryAttemptsExhausted' | 'MaximumEventAgeExhausted';
  deadLetterArn?: string;
  deadLettered: boolean;
}

const attribute = (value: string) => ({ DataType: 'String', StringValue: value });

export class Dispatcher {
  options: DeliveryOptions = { ...DEFAULT_DELIVERY_OPTIONS };
  readonly stats: DeliveryStats = {
    matched: 0,
    attempts: 0,
    delivered: 0,
    failedAttempts: 0,
    retries: 0,
    failed: 0,
    deadLettered: 0,
    deadLetterFailures: 0,
    dropped: 0,
    skippedBusHops: 0,
  };
  /** The last failures (at most 100), newest last. */
  readonly failures: FailedDelivery[] = [];
  private inFlight = 0;
  private waiters: Array<() => void> = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly router: TargetRouter,
    private readonly now: () => number,
  ) {}

  /** Starts delivering (on the next turn of the event loop: the caller answers first). */
  enqueue(job: DeliveryJob): void {
    if (this.closed) return;
    this.stats.matched++;
    this.inFlight++;
    setImmediate(() => void this.attempt(job, 1, 0));
  }

  /** Resolves once nothing is being delivered or waiting for a retry (deliveries they cause included). */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Cancels pending retries (the sandbox is stopping). */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.inFlight = 0;
    this.release();
  }

  private release(): void {
    if (this.inFlight !== 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private done(): void {
    if (this.closed) return;
    this.inFlight--;
    this.release();
  }

  /** Simulated backoff before retry number `retry` (1-based): AWS-shaped exponential with equal jitter. */
  private backoffMs(retry: number): number {
    const { baseDelayMs, maxDelayMs } = this.options;
    const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(retry - 1, 30));
    return cap / 2 + Math.random() * (cap / 2);
  }

  private async attempt(job: DeliveryJob, attemptNo: number, simulatedAgeMs: number): Promise<void> {
    if (this.closed) return;
    let result: DeliveryResult;
    try {
      result = await this.router.deliver({
        arn: job.targetArn,
        ...(job.roleArn !== undefined ? { roleArn: job.roleArn } : {}),
        input: job.input,
        via: EVENTS_PRINCIPAL,
        sourceArn: job.ruleArn,
        sourceAccount: job.ruleAccount,
        ...(job.parameters !== undefined ? { parameters: job.parameters } : {}),
      });
    } catch (e) {
      result = { ok: false, code: 'InternalException', message: e instanceof Error ? e.message : String(e), retryable: true };
    }
    if (this.closed) return;
    this.stats.attempts++;
    if (result.ok) {
      this.stats.delivered++;
      this.done();
      return;
    }
    this.stats.failedAttempts++;
    const retriesDone = attemptNo - 1;
    if (!result.retryable) {
      await this.giveUp(job, result.code, result.message, retriesDone);
      return;
    }
    if (retriesDone >= job.maxRetryAttempts) {
      await this.giveUp(job, result.code, result.message, retriesDone, 'MaximumRetryAttemptsExhausted');
      return;
    }
    const delay = this.backoffMs(attemptNo);
    const age = Math.max(this.now() - job.ingestedAt, simulatedAgeMs) + delay;
    if (age > job.maxEventAgeSeconds * 1000) {
      await this.giveUp(job, result.code, result.message, retriesDone, 'MaximumEventAgeExhausted');
      return;
    }
    this.stats.retries++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(job, attemptNo + 1, simulatedAgeMs + delay);
    }, delay * this.options.timeScale);
    this.timers.add(timer);
  }

  private async giveUp(job: DeliveryJob, code: string, message: string, retryAttempts: number, exhausted?: FailedDelivery['exhaustedRetryCondition']): Promise<void> {
    this.stats.failed++;
    const record: FailedDelivery = {
      ruleArn: job.ruleArn,
      targetArn: job.targetArn,
      code,
      message,
      retryAttempts,
      ...(exhausted !== undefined ? { exhaustedRetryCondition: exhausted } : {}),
      ...(job.deadLetterArn !== undefined ? { deadLetterArn: job.deadLetterArn } : {}),
      deadLettered: false,
    };
    if (job.deadLetterArn === undefined) {
      this.stats.dropped++;
    } else {
      const attributes: Record<string, { DataType: string; StringValue: string }> = {
        ERROR_CODE: attribute(code),
        ERROR_MESSAGE: attribute(message),
        RULE_ARN: attribute(job.ruleArn),
        TARGET_ARN: attribute(job.targetArn),
        RETRY_ATTEMPTS: attribute(String(retryAttempts)),
      };
      if (exhausted !== undefined) attributes.EXHAUSTED_RETRY_CONDITION = attribute(exhausted);
      let result: DeliveryResult;
      try {
        result = await this.router.deliver({
          arn: job.deadLetterArn,
          input: job.eventJson,
          via: EVENTS_PRINCIPAL,
          sourceArn: job.ruleArn,
          sourceAccount: job.ruleAccount,
          parameters: { MessageAttributes: attributes },
        });
      } catch (e) {
        result = { ok: false, code: 'InternalException', message: e instanceof Error ? e.message : String(e), retryable: false };
      }
      if (this.closed) return;
      if (result.ok) {
        this.stats.deadLettered++;
        record.deadLettered = true;
      } else {
        this.stats.deadLetterFailures++;
      }
    }
    this.failures.push(record);
    if (this.failures.length > 100) this.failures.shift();
    this.done();
  }
}
