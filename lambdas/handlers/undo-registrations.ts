/** Compensation: delete the Palette registrations (and the secrets written for them), only those this execution created. */
import { compensationHandler } from '../shared/handler';
import { undoAllRegistrations } from '../services/registrations';

export const handler = compensationHandler('undo-registrations', undoAllRegistrations);
