/**
 * The offboarding request (CLI `palette-onboard offboard`, the `Tenant Offboarding Requested` event, a tenant removed
 * from the deploy-time list): which tenant, and what may go besides what offboarding always removes. Pure.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { TENANT_ID } from './request';
import { RequestValidationError } from '../shared/errors';

export const OffboardingRequestSchema = z
  .strictObject({
    tenantId: z.string().regex(TENANT_ID, 'must be 3-32 characters: lowercase letters, digits and -, starting with a letter'),
    /** Delete the backup bucket too (default: it and its backups are retained). */
    deleteBucket: z.boolean().default(false),
    /** With deleteBucket: delete the backups in it first. Irreversible. */
    purgeBucket: z.boolean().default(false),
    /** Offboard even while Palette clusters use the tenant's cloud account or backup location. */
    force: z.boolean().default(false),
  })
  .refine((r) => !r.purgeBucket || r.deleteBucket, { path: ['purgeBucket'], message: 'purgeBucket needs deleteBucket: true' });
export type OffboardingRequest = z.output<typeof OffboardingRequestSchema>;

/** The request, or RequestValidationError naming every bad field. */
export function parseOffboardingRequest(raw: unknown): OffboardingRequest {
  const parsed = OffboardingRequestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new RequestValidationError(parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })), 'offboarding request');
  }
  return parsed.data;
}

/**
 * Execution name of an offboarding: `offboard-<tenantId>-<yyyymmddhhmmss>-<suffix>` (at most 64 characters). Every start
 * is a new execution (the tenant's lease serializes them); `suffix` is random unless given (e.g. from an event id, so
 * a redelivered event starts no second execution).
 */
export const offboardingExecutionName = (tenantId: string, now: Date = new Date(), suffix: string = randomUUID().slice(0, 8)): string =>
  `offboard-${tenantId}-${now.toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${suffix}`;
