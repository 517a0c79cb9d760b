/**
 * The input of the one ensure-registration handler (each iteration of the Registrations Map passes it with
 * Parameters): which kind to ensure, the execution, the job (its plan), Palette's identity and the AWS principal (null
 * for a request without an `aws` section); only the AWS kinds (`needsPrincipal`) use the last two.
 */
import * as z from 'zod';
import { REGISTRATION_KEYS, type RegistrationKey } from '../../domain/registrations';
import { JobStateSchema, PaletteIdentitySchema, PrincipalResultSchema } from '../../domain/workflow-state';

export const EnsureRegistrationInputSchema = JobStateSchema.extend({
  registration: z.enum(REGISTRATION_KEYS as [RegistrationKey, ...RegistrationKey[]]),
  /** Required for the kinds with `needsPrincipal` (the AWS cloud account and the S3 backup location). */
  palette: PaletteIdentitySchema.nullish(),
  principal: PrincipalResultSchema.nullish(),
});
export type EnsureRegistrationInput = z.infer<typeof EnsureRegistrationInputSchema>;
