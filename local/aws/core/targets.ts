/**
 * Deliveries between the sandbox's services, as AWS makes them on a customer's behalf: an EventBridge rule sending an
 * event to its targets, an EventBridge Scheduler schedule firing, an SQS queue feeding a Lambda function. A delivering
 * service hands a `TargetDelivery` to the kernel's `TargetRouter`, which passes it to the receiver registered for the
 * target ARN's service (`sqs`, `states`, `events`, `lambda`, ...). Services of the sandbox register themselves at
 * construction (local/aws/services.ts); `lambda` is registered by whoever runs the functions (the app loader, when
 * the sandbox runs the synthesized app).
 *
 * A receiver authorizes the delivery as AWS would: with `roleArn`, as a session of that role assumed by `via` (the
 * role's trust policy must allow the service principal, its policies the action on the target); without it, through
 * the target's resource policy for the service principal `via` (e.g. a queue policy allowing events.amazonaws.com
 * sqs:SendMessage with aws:SourceArn = the rule).
 */

export interface TargetDelivery {
  /** The target: a queue, state machine, function or event bus ARN. */
  arn: string;
  /** The role the delivering service assumes to call the target (a rule target's / schedule's RoleArn), if any. */
  roleArn?: string;
  /** The payload as the target receives it: the (transformed) event JSON, the schedule's Input, an SQS body. */
  input: string;
  /** The service principal delivering: `events.amazonaws.com`, `scheduler.amazonaws.com`, ... */
  via: string;
  /** The rule / schedule making the delivery (aws:SourceArn). */
  sourceArn: string;
  /** Its account (aws:SourceAccount). */
  sourceAccount: string;
  /** Target-specific parameters (e.g. `{MessageGroupId}` for a FIFO queue). */
  parameters?: Record<string, unknown>;
}

export type DeliveryResult =
  | { ok: true; /** e.g. the message id or the execution ARN */ id?: string }
  | { ok: false; code: string; message: string; /** whether the delivering service retries it */ retryable: boolean };

export interface DeliveryReceiver {
  deliver(delivery: TargetDelivery): Promise<DeliveryResult>;
}

/** The service part of an ARN (`arn:aws:sqs:...` -> `sqs`), or undefined for something that is no ARN. */
export function arnService(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:([a-z0-9-]+):/.exec(arn);
  return m?.[1];
}

export class TargetRouter {
  private readonly receivers = new Map<string, DeliveryReceiver>();

  /** Registers (or replaces) the receiver of the ARNs of `service` (the ARN's service part). */
  register(service: string, receiver: DeliveryReceiver): void {
    this.receivers.set(service, receiver);
  }

  unregister(service: string): void {
    this.receivers.delete(service);
  }

  has(service: string): boolean {
    return this.receivers.has(service);
  }

  async deliver(delivery: TargetDelivery): Promise<DeliveryResult> {
    const service = arnService(delivery.arn);
    const receiver = service === undefined ? undefined : this.receivers.get(service);
    if (!receiver) {
      return { ok: false, code: 'ResourceNotFoundException', message: `the sandbox has no receiver for target ${delivery.arn}`, retryable: false };
    }
    return receiver.deliver(delivery);
  }
}
