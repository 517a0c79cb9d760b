/**
 * PLACEHOLDER (being written): the sandbox's events service. Answers every operation with UnknownOperationException.
 */
import { AwsError } from '../../core/errors';
import type { Kernel } from '../../core/kernel';
import type { SandboxRequest, SandboxResponse, SandboxService } from '../../core/types';

export class EventsService implements SandboxService {
  readonly name = 'events' as const;
  readonly protocol = 'json' as const;

  constructor(readonly kernel: Kernel) {}

  operationName(_req: SandboxRequest): string {
    return 'Unknown';
  }

  async handle(_req: SandboxRequest): Promise<SandboxResponse> {
    throw new AwsError('UnknownOperationException', 'not implemented yet', 400);
  }

  snapshot(): unknown {
    return {};
  }

  restore(_data: unknown): void {}

  inventory(_accountId: string): Record<string, string[]> {
    return {};
  }
}
