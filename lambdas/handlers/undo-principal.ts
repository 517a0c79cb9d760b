/** Compensation: delete the role or user and its key secret, only if this execution created it. */
import { compensationHandler } from '../shared/handler';
import { undoPrincipal } from '../services/aws/principal';

export const handler = compensationHandler('undo-principal', undoPrincipal);
