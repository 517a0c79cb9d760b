/** PlatformSetup compensation: remove what this execution created of the STS principal, never a key Palette uses. */
import { PlatformJobStateSchema, type PlatformUndoResult } from '../domain/platform';
import { parseState } from '../shared/handler';
import { logger } from '../shared/logger';
import { undoStsPrincipal } from '../services/platform/principal';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<PlatformUndoResult> {
  const { job, execution } = parseState(PlatformJobStateSchema, event, 'platform-undo-sts-principal');
  const result = await undoStsPrincipal(job.plan, execution.name, execution.startTime);
  logger.info('Compensation step done', { executionName: execution.name, step: 'platform-undo-sts-principal', ...result });
  return result;
}

export const handler = withDeadline(handle);
