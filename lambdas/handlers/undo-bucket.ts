/** Compensation: delete the bucket (only if it is empty), only if this execution created it. */
import { awsCompensationHandler } from '../shared/handler';
import { undoBucket } from '../services/aws/bucket';

export const handler = awsCompensationHandler('undo-bucket', undoBucket);
