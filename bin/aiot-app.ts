#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AiotStack } from '../lib/aiot-stack';
import { ConfigError, loadConfig } from '../lib/config';

const app = new App();
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig((key) => app.node.tryGetContext(key));
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}

new AiotStack(app, `aiot-${config.stage}`, {
  config,
  description:
    'aiot: AWS-native AIoT platform (IoT Core, Kinesis, Lambda, Timestream, SageMaker, Step Functions)',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
