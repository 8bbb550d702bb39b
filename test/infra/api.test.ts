import { Match } from 'aws-cdk-lib/assertions';
import { OPENAPI_PATH, ROUTES } from '../../core/query/routes';
import { apiJwt, ConfigError, loadConfig } from '../../lib/config';
import { type BuiltStack, buildStack } from '../fixtures/stack';

const EXPECTED_ROUTE_KEYS = [...ROUTES.map((r) => `GET ${r.path}`), `GET ${OPENAPI_PATH}`].sort();

describe('QueryApi', () => {
  let iam: BuiltStack;
  let jwt: BuiltStack;
  beforeAll(() => {
    iam = buildStack();
    jwt = buildStack({
      apiJwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example',
      apiJwtAudience: 'client-a,client-b',
    });
  });

  it('when synthesized, every route of the route table exists, GET only, and each requires IAM auth', () => {
    const routes = iam.template().findResources('AWS::ApiGatewayV2::Route');
    const keys = Object.values(routes).map((r) => r.Properties.RouteKey as string);
    expect(keys.sort()).toEqual(EXPECTED_ROUTE_KEYS);
    for (const r of Object.values(routes)) expect(r.Properties.AuthorizationType).toBe('AWS_IAM');
    expect(keys).not.toContain('$default');
  });

  it('when JWT is configured, every route requires the JWT authorizer with the issuer and audiences', () => {
    const t = jwt.template();
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example',
        Audience: ['client-a', 'client-b'],
      },
    });
    const routes = Object.values(t.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes).toHaveLength(EXPECTED_ROUTE_KEYS.length);
    for (const r of routes) {
      expect(r.Properties.AuthorizationType).toBe('JWT');
      expect(r.Properties.AuthorizerId).toEqual({ Ref: expect.any(String) });
    }
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ API_AUTH: 'jwt' }) },
    });
  });

  it('when only one JWT key is set, the configuration is refused', () => {
    const config = loadConfig((k) => (k === 'apiJwtIssuer' ? 'https://issuer.example.com' : undefined));
    expect(() => apiJwt(config)).toThrow(ConfigError);
    expect(() =>
      loadConfig((k) => (k === 'apiJwtIssuer' ? 'http://insecure.example.com' : undefined)),
    ).toThrow('apiJwtIssuer');
  });

  it('when deployed, the stage is throttled and writes JSON access logs naming the caller', () => {
    iam.template().hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('"caller":"\\$context.identity.userArn"'),
      },
    });
  });

  it('when the query function is granted (InfluxDB, the default), it runs in the store VPC, reads the token secret and work orders, and writes neither', () => {
    const t = iam.template();
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Query API'),
      VpcConfig: { SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
      Environment: {
        Variables: Match.objectLike({
          STORAGE_BACKEND: 'timestream-influxdb',
          INFLUXDB_URL: Match.anyValue(),
          INFLUXDB_DATABASE: 'aiot',
          INFLUXDB_SECRET_ARN: { Ref: Match.stringLikeRegexp('^StoreToken') },
          WORK_ORDERS_TABLE: Match.anyValue(),
          API_AUTH: 'iam',
        }),
      },
    });
    const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes('QueryApiHandlerRole'),
    );
    const actions = policies.flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) =>
        Array.isArray(s.Action) ? s.Action : [s.Action],
      ),
    );
    expect(actions).toEqual(
      expect.arrayContaining(['secretsmanager:GetSecretValue', 'dynamodb:Query', 'dynamodb:GetItem']),
    );
    expect(actions.filter((a) => /^(timestream|dynamodb):.*(Write|Put|Update|Delete)/.test(a))).toEqual([]);
  });
});
