/**
 * PLACEHOLDER (being written): the sandbox's sqs service. Answers every operation with UnknownOperationException.
 */
import { AwsError } from '../../core/errors';
import type { Kernel } from '../../core/kernel';
import type { SandboxRequest, SandboxResponse, SandboxService } from '../../core/types';

export class SqsService implements SandboxService {
  readonly name = 'sqs' as const;
  readonly protocol = 'json-1.0' as const;

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
