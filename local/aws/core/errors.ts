/** An AWS service error. The core renders it in the protocol of the service that threw it. */
export class AwsError extends Error {
  override readonly name = 'AwsError';
  constructor(
    /** AWS error code, e.g. "NoSuchEntity", "BucketAlreadyExists", "ResourceNotFoundException". */
    readonly code: string,
    message: string,
    /** HTTP status AWS uses for this code. */
    readonly status: number,
    /** Sender vs Receiver fault (query protocol's <Type>). */
    readonly fault: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
    /** Extra fields for rest-xml errors (e.g. BucketName) or json errors. */
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }
}
