/** Compensation: delete the Palette registrations, only if this execution created it. */
import { compensationHandler } from '../shared/handler';
import { undoRegistrations } from '../services/onboarding/registrations';

export const handler = compensationHandler('undo-registrations', undoRegistrations);
