/**
 * Service registry: every AWS service the sandbox serves, constructed with the kernel.
 * IAM and STS live on the kernel's identity store; S3 and Secrets Manager keep their own state;
 * DynamoDB fronts embedded dynalite engines (one per account and region); Organizations answers from the
 * kernel's organization model; SSM keeps Parameter Store parameters. SQS, EventBridge, EventBridge Scheduler, Step Functions
 * and CloudFormation serve the synthesized app when the sandbox runs it (`npm run sandbox`, the app loaded by default); they deliver to
 * each other through the kernel's TargetRouter (core/targets.ts).
 */
import type { Kernel } from './core/kernel';
import type { SandboxService, ServiceName } from './core/types';
import { DynamoDbService } from './services/dynamodb';
import { IamService } from './services/iam';
import { OrganizationsService } from './services/organizations';
import { S3Service } from './services/s3';
import { SecretsManagerService } from './services/secretsmanager';
import { SsmService } from './services/ssm';
import { StsService } from './services/sts';
import { SqsService } from './services/sqs';
import { EventsService } from './services/events';
import { SchedulerService } from './services/scheduler';
import { StepFunctionsService } from './services/states';
import { CloudFormationService } from './services/cloudformation';

export function createServices(kernel: Kernel): Map<ServiceName, SandboxService> {
  const services: SandboxService[] = [
    new IamService(kernel),
    new StsService(kernel),
    new S3Service(kernel),
    new SecretsManagerService(kernel),
    new DynamoDbService(kernel),
    new OrganizationsService(kernel),
    new SsmService(kernel),
    new SqsService(kernel),
    new EventsService(kernel),
    new SchedulerService(kernel),
    new StepFunctionsService(kernel),
    new CloudFormationService(kernel),
  ];
  return new Map(services.map((s) => [s.name, s]));
}
