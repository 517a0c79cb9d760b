/**
 * PLACEHOLDER (being written): the sandbox's scheduler service. Answers every operation with UnknownOperationException.
 */
import { AwsError } from '../../core/errors';
import type { Kernel } from '../../core/kernel';
import type { SandboxRequest, SandboxResponse, SandboxService } from '../../core/types';

export class SchedulerService implements SandboxService {
  readonly name = 'scheduler' as const;
  readonly protocol = 'rest-json' as const;

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
