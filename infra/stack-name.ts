/**
 * The CloudFormation stack's name unless `-c stackName=` says otherwise. Its own module, free of aws-cdk-lib, so that
 * the operator's commands (infra/bin/admin.ts) start without loading the CDK.
 */
export const DEFAULT_STACK_NAME = 'IdrlVideoPlatform';
