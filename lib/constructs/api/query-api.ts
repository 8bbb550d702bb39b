import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { OPENAPI_PATH, ROUTES } from '../../../core/query/routes';
import { ProjectFunction } from '../common/project-function';
import type { HotStore } from '../storage/hot-store';
import type { WorkOrderTable } from '../workflows/work-order-table';

export interface QueryApiJwt {
  /** Issuer URL of the identity provider (Cognito user pool, Auth0, Entra ID, …). */
  readonly issuer: string;
  /** Audiences (client ids) a token must carry one of. */
  readonly audience: readonly string[];
}

export interface QueryApiProps {
  /** The time-series store the API reads (SELECT only). */
  readonly store: HotStore;
  /** The work orders the API lists (read only). */
  readonly workOrders: WorkOrderTable;
  /**
   * Accept JWT bearer tokens from this issuer instead of SigV4 (an HTTP API route has one
   * authorizer). @default IAM (SigV4) on every route
   */
  readonly jwt?: QueryApiJwt;
  /** Steady-state requests per second across the API. @default 50 */
  readonly throttleRateLimit?: number;
  /** Burst of requests above the rate. @default 100 */
  readonly throttleBurstLimit?: number;
  /** How long access logs are kept. @default one year */
  readonly accessLogRetention?: logs.RetentionDays;
}

/**
 * The query API for applications: an HTTP API whose routes come from the shared route table
 * (`core/query/routes.ts`), each behind IAM (or JWT) authorization, throttled, with JSON access
 * logs naming the caller, in front of one read-only Lambda function.
 */
export class QueryApi extends Construct {
  public readonly api: apigw.HttpApi;
  public readonly stage: apigw.HttpStage;
  public readonly handler: ProjectFunction;
  public readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: QueryApiProps) {
    super(scope, id);
    this.handler = new ProjectFunction(this, 'Handler', {
      entry: 'query-api',
      description: 'Query API: devices, telemetry, anomalies, predictions and work orders (read only)',
      memorySize: 512,
      timeout: Duration.seconds(25),
      environment: { API_AUTH: props.jwt ? 'jwt' : 'iam' },
      network: props.store.network,
    });
    props.store.grantRead(this.handler);
    props.workOrders.grantRead(this.handler);

    const authorizer = props.jwt
      ? new HttpJwtAuthorizer('Jwt', props.jwt.issuer, { jwtAudience: [...props.jwt.audience] })
      : new HttpIamAuthorizer();
    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'aiot query API (read access to devices, telemetry, anomalies, predictions, work orders)',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
    });
    const integration = new HttpLambdaIntegration('Query', this.handler, {
      payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
    });
    for (const path of [...ROUTES.map((r) => r.path), OPENAPI_PATH]) {
      this.api.addRoutes({ path, methods: [apigw.HttpMethod.GET], integration, authorizer });
    }

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stage = new apigw.HttpStage(this, 'Stage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRateLimit ?? 50, burstLimit: props.throttleBurstLimit ?? 100 },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTimeEpoch',
            ip: '$context.identity.sourceIp',
            caller: '$context.identity.userArn',
            subject: '$context.authorizer.claims.sub',
            route: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
            authError: '$context.authorizer.error',
          }),
        ),
      },
    });
    new CfnOutput(this, 'Url', {
      value: this.stage.url,
      description: `Query API base URL (${props.jwt ? 'JWT bearer tokens' : 'SigV4-signed requests'}); GET /openapi.json describes it`,
    });
  }

  /** The API's base URL. */
  get url(): string {
    return this.stage.url;
  }
}
