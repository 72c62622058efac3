import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackPropsFromContext } from '../config';
import { IdrlStack } from '../stack';

// The stack is environment-agnostic: it deploys to the CLI profile's account and region, and synth never
// performs a context lookup (no network, no credentials).
const app = new App();
const props = stackPropsFromContext((key) => app.node.tryGetContext(key));
new IdrlStack(app, props.stackName, props);
// cdk-nag runs on every synth: an unsuppressed finding fails `cdk synth` and `cdk deploy`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
