/**
 * The DynamoDB document client (plain JS values) over the client factory's home DynamoDB client
 * (lambdas/shared/aws-clients.ts), for the tenant registry and the shared Palette rate slots. Its own module because
 * `@aws-sdk/lib-dynamodb` does not declare itself free of side effects: imported by the factory, esbuild would put it
 * (and the DynamoDB client) into every function's bundle.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { homeClient } from './aws-clients';

let documents: DynamoDBDocumentClient | undefined;

/** The home account's DynamoDB through the document client, with the Lambda's own credentials; one per container. */
export function homeDocumentClient(): DynamoDBDocumentClient {
  // The document client sends through the (traced) home client's middleware stack.
  documents ??= DynamoDBDocumentClient.from(homeClient(DynamoDBClient), { marshallOptions: { removeUndefinedValues: true } });
  return documents;
}
