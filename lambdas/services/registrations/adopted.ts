/** Whether an existing registration is an adopted one, for the rules that never weaken what we did not create. */
import { CREATED_BY_TAG } from '../../domain/names';
import type { Existing } from './types';

/**
 * Adopted by this run or an earlier one: the decision says so, or the object carries no created-by mark (adopting
 * never adds one) and is not the leftover of this execution's own create (its pending intent).
 */
export function isAdopted(existing: Existing<unknown>): boolean {
  const { decision } = existing;
  if (decision.kind === 'adopt') return true;
  return existing.annotations[CREATED_BY_TAG] === undefined && !decision.createdByThisExecution;
}
