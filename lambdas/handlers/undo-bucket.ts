/** Compensation: delete the bucket (only if it is empty), only if this execution created it. */
import { compensationHandler } from '../shared/handler';
import { undoBucket } from '../services/aws/bucket';

export const handler = compensationHandler('undo-bucket', undoBucket);
