/** Tests of the AWS steps build their plans from requests with an aws section: this narrows such a plan (or fails the test). */
import { hasAwsPart, type AwsPlan, type Plan } from '../lambdas/domain/workflow-state';

export function awsPlan(plan: Plan): AwsPlan {
  if (!hasAwsPart(plan)) throw new Error(`the plan of tenant '${plan.tenantId}' has no AWS part (its request has no aws section)`);
  return plan;
}
