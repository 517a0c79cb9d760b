/**
 * The input of the one ensure-registration handler (the state machine passes it with Parameters): which kind to
 * ensure, the execution, the job (its plan), and for the AWS kinds Palette's identity and the AWS principal.
 */
import * as z from 'zod';
import { REGISTRATION_KEYS, type RegistrationKey } from '../../domain/registrations';
import { JobStateSchema, PaletteIdentitySchema, PrincipalResultSchema } from '../../domain/workflow-state';

export const EnsureRegistrationInputSchema = JobStateSchema.extend({
  registration: z.enum(REGISTRATION_KEYS as [RegistrationKey, ...RegistrationKey[]]),
  /** Required for the kinds with `needsPrincipal` (the AWS cloud account and the S3 backup location). */
  palette: PaletteIdentitySchema.optional(),
  principal: PrincipalResultSchema.optional(),
});
export type EnsureRegistrationInput = z.infer<typeof EnsureRegistrationInputSchema>;
