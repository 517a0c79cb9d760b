/** EnsureStaticUser: an IAM user with one active access key, stored straight in Secrets Manager. */
import { AwsJobStateSchema, type PrincipalResult } from '../domain/workflow-state';
import { parseState } from '../shared/handler';
import { ensureStaticUser } from '../services/aws/principal';
import { withDeadline } from '../shared/deadline';

async function handle(event: unknown): Promise<PrincipalResult> {
  const { job } = parseState(AwsJobStateSchema, event, 'ensure-static-user');
  return ensureStaticUser(job.plan);
}

export const handler = withDeadline(handle);
