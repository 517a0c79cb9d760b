/**
 * Removal: what the undo steps (UndoRegistrations, UndoPrincipal, UndoBackupPolicy, UndoBucket) may delete, in their
 * two uses. Pure.
 *
 * - **compensation** (a failed onboarding): only what THIS execution created (its created-by mark, its recorded
 *   creation, or its pending write-ahead intent).
 * - **offboarding** (the Offboarding state machine, README "Offboarding"): everything the tenant registry records as
 *   the tenant's and palette-onboarding created (by any execution), or whose creation an execution intended and
 *   never recorded; never an adopted object (it existed before the tenant took it over), never an object with another
 *   tenant's or deployment's mark, never what the registry does not record. The bucket stays unless the request asks
 *   (`deleteBucket`, and `purgeBucket` when it holds objects); secrets are deleted with a recovery window.
 */
import * as z from 'zod';
import type { Marks } from './ownership';

export const OffboardingRemovalSchema = z.object({
  mode: z.literal('offboarding'),
  /** Delete the bucket too (default: it and its backups are retained). */
  deleteBucket: z.boolean().default(false),
  /** With deleteBucket: delete every object version first (the backups are lost). */
  purgeBucket: z.boolean().default(false),
  /** Days Secrets Manager keeps a deleted secret recoverable (7-30). */
  secretRecoveryDays: z.number().int().min(7).max(30).default(7),
});
export type OffboardingRemoval = z.infer<typeof OffboardingRemovalSchema>;

export const RemovalSchema = z.discriminatedUnion('mode', [z.object({ mode: z.literal('compensation') }), OffboardingRemovalSchema]);
export type Removal = z.infer<typeof RemovalSchema>;

export const COMPENSATION: Removal = { mode: 'compensation' };

/** What the registry and the object say, for one removal decision. */
export interface RemovalFacts {
  marks: Marks;
  /** The registry's record of the object for this tenant, if any. */
  recorded?: { adopted: boolean; createdBy?: string };
  /** The execution whose write-ahead intent to create it is pending, if any. */
  intentBy?: string;
  tenantId: string;
  deploymentId: string;
  executionName: string;
}

/** `reason` reads after the object's name: "S3 bucket 'x' was not created by this execution". */
export type RemovalDecision = { remove: true } | { remove: false; reason: string };

export function decideRemoval(removal: Removal, f: RemovalFacts): RemovalDecision {
  if (f.marks.tenant !== undefined && f.marks.tenant !== f.tenantId) return { remove: false, reason: `is marked for tenant '${f.marks.tenant}'` };
  if (f.marks.deployment !== undefined && f.marks.deployment !== f.deploymentId) {
    return { remove: false, reason: `is managed by another palette-onboarding deployment ('${f.marks.deployment}')` };
  }
  if (removal.mode === 'compensation') {
    const mine = f.marks.createdBy === f.executionName || f.intentBy === f.executionName || f.recorded?.createdBy === f.executionName;
    return mine ? { remove: true } : { remove: false, reason: 'was not created by this execution' };
  }
  if (f.recorded?.adopted) return { remove: false, reason: 'was adopted (it existed before the tenant was onboarded); offboarding never deletes it' };
  if (f.recorded) return { remove: true };
  if (f.intentBy !== undefined) return { remove: true };
  return { remove: false, reason: `is not recorded as tenant '${f.tenantId}''s in the tenant registry` };
}
