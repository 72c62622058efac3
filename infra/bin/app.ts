import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackPropsFromContext } from '../config';
import { addPlatform } from '../platform';

// The stack is environment-agnostic: it deploys to the CLI profile's account and region, and synth never
// performs a context lookup (no network, no credentials). -c waf=true adds a us-east-1 stack and needs the region.
const app = new App();
const props = stackPropsFromContext((key) => app.node.tryGetContext(key));
addPlatform(app, props, { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION });
// cdk-nag runs on every synth: an unsuppressed finding fails `cdk synth` and `cdk deploy`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
