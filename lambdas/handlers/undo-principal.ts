/** Compensation: delete the role or user and its key secret, only if this execution created it. */
import { awsCompensationHandler } from '../shared/handler';
import { undoPrincipal } from '../services/aws/principal';

export const handler = awsCompensationHandler('undo-principal', undoPrincipal);
