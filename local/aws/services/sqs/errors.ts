/**
 * SQS's errors, by the name its JSON protocol gives them (`__type`); core/protocol.ts adds the query-compatible code
 * (`x-amzn-query-error`, e.g. AWS.SimpleQueueService.NonExistentQueue) that the SDKs report.
 */
import { AwsError } from '../../core/errors';
import type { AuthzDecision, Principal } from '../../core/types';

export const queueDoesNotExist = (): AwsError => new AwsError('QueueDoesNotExist', 'The specified queue does not exist.', 400);

export const missingParameter = (name: string): AwsError => new AwsError('MissingParameter', `The request must contain the parameter ${name}.`, 400);

export const invalidParameterValue = (message: string): AwsError => new AwsError('InvalidParameterValue', message, 400);

/** "Value x for parameter P is invalid. Reason: ..." */
export const invalidValue = (param: string, value: unknown, reason: string): AwsError =>
  invalidParameterValue(`Value ${String(value)} for parameter ${param} is invalid. Reason: ${reason}`);

export const invalidAttributeValue = (name: string, reason?: string): AwsError =>
  new AwsError('InvalidAttributeValue', reason === undefined ? `Invalid value for the parameter ${name}.` : `Invalid value for the parameter ${name}. Reason: ${reason}`, 400);

export const invalidAttributeName = (name: string): AwsError => new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`, 400);

export const receiptHandleIsInvalid = (handle: string): AwsError =>
  new AwsError('ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`, 404);

export const serializationError = (message: string): AwsError => new AwsError('SerializationException', message, 400);

export function accessDenied(principal: Principal, action: string, resource: string, d: AuthzDecision, crossAccount: boolean): AwsError {
  // SQS writes the action in lower case in this message.
  const shown = action.toLowerCase();
  const why =
    d.reason === 'ExplicitDeny'
      ? 'with an explicit deny'
      : `because no ${crossAccount ? 'resource-based' : 'identity-based'} policy allows the ${shown} action`;
  return new AwsError('AccessDeniedException', `User: ${principal.arn} is not authorized to perform: ${shown} on resource: ${resource} ${why}`, 403);
}
