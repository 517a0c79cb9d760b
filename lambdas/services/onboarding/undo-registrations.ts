/**
 * Compensation for the Palette side: every registration (and every secret written for one) that this
 * execution created. Each part is undone even when another fails; the failures are reported together.
 */
import type { Plan } from '../../domain/workflow-state';
import { CompensationError } from '../../shared/errors';
import type { UndoResult } from '../aws/bucket';
import { undoApiKey } from './api-key';
import { undoAzureAccount } from './azure-account';
import { undoExtraBackupLocations } from './backup-locations-extra';
import { undoRegistrations as undoAwsRegistrations } from './registrations';
import { undoSshKey } from './ssh-key';

const PARTS: [string, (plan: Plan, executionName: string) => Promise<UndoResult>][] = [
  ['aws', undoAwsRegistrations],
  ['azureAccount', undoAzureAccount],
  ['sshKey', undoSshKey],
  ['apiKey', undoApiKey],
  ['backupLocations', undoExtraBackupLocations],
];

export async function undoAllRegistrations(plan: Plan, executionName: string): Promise<UndoResult> {
  const result: UndoResult = { deleted: [], retained: [] };
  const failures: string[] = [];
  for (const [part, undo] of PARTS) {
    try {
      const r = await undo(plan, executionName);
      result.deleted.push(...r.deleted);
      result.retained.push(...r.retained);
    } catch (e) {
      failures.push(`${part}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
  }
  if (failures.length > 0) {
    throw new CompensationError(`could not undo every registration (${failures.join('; ')}); deleted so far: ${result.deleted.join(', ') || 'nothing'}`);
  }
  return result;
}
