/**
 * Event starter (not a workflow state): consumes the request queue (EventBridge `Tenant Onboarding Requested`
 * events) and starts one onboarding execution per request, named `<tenantId>-<hash>` like the CLI's, so a
 * duplicate event, or an event plus a CLI start of the same request, is one execution. Partial batch
 * responses: only the records that were not delivered are retried. See lambdas/services/starter/starter.ts.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { startOnboardings } from '../services/starter/starter';

export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => startOnboardings(event);
