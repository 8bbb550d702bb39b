import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, type IConstruct } from 'constructs';
import { acknowledge, REASONS } from '../common/nag';

export interface AlertTopicProps {
  /** Customer key the topic is encrypted with. */
  readonly encryptionKey: kms.IKey;
  /** E-mail address subscribed to the alerts; none when empty. @default none */
  readonly email?: string;
}

/** The operators' alert topic (SNS): encrypted with the project key, TLS-only publishing. */
export class AlertTopic extends Construct {
  public readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertTopicProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'aiot alerts',
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  }

  /** Lets `grantee` publish, including the key use SNS needs for an encrypted topic. */
  grantPublish(grantee: iam.IGrantable & IConstruct): void {
    this.topic.grantPublish(grantee);
    acknowledge(grantee, 'IAM5[Action::kms:GenerateDataKey*]', REASONS.kmsGrant);
  }
}
