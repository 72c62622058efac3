import { type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { contentSecurityPolicy, storageSources } from '#functions/api/console';
import { routes, type RouteName } from '#functions/routes';
import { DEFAULT_DATABASE_ROUTE_RESERVED_CONCURRENCY } from '#infra/stack';
import {
  logicalId,
  managedPoliciesOf,
  policyStatementsOf,
  propertiesOf,
  synthesize,
  type Synthesized,
} from '#test/infra/synth';

// The console's module computes its policy at import from the environment the template gives it.
vi.hoisted(() => {
  process.env.BUCKET_NAME ??= 'idrl-videos-test';
  process.env.AWS_REGION ??= 'us-east-1';
});

// Prepare + Act once per file: synthesizing is the expensive step; each test assesses one behaviour.
let synthesized: Synthesized;
let template: Template;
beforeAll(() => {
  synthesized = synthesize();
  template = synthesized.template;
});

function functionId(name: RouteName): string {
  const fn = synthesized.stack.api.routeFunctions.get(name);
  if (!fn) throw new Error(`No function for route ${name}`);
  return logicalId(synthesized.stack, fn);
}

function environmentOf(id: string): Record<string, unknown> {
  return (propertiesOf(template, id).Environment as { Variables: Record<string, unknown> }).Variables;
}

const bucketArn = (prefix: string): unknown => ({
  'Fn::Join': [
    '',
    [{ 'Fn::GetAtt': [expect.stringMatching(/^StorageBucket/) as unknown, 'Arn'] }, `/${prefix}*`],
  ],
});
/** Listing unfinished multipart uploads: the bucket itself, with no s3:prefix condition (S3 never supplies it here). */
const listUploads = {
  Action: 's3:ListBucketMultipartUploads',
  Effect: 'Allow',
  Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StorageBucket/) as unknown, 'Arn'] },
};
const rdsConnect = {
  Action: 'rds-db:connect',
  Effect: 'Allow',
  Resource: {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':rds-db:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ':dbuser:',
        { 'Fn::GetAtt': [expect.stringMatching(/^DatabaseInstance/) as unknown, 'DbiResourceId'] },
        '/idrl_app',
      ],
    ],
  },
};
/**
 * A task's delete and an account's purge alike: its objects, the original's recorded version for good (under
 * uploads/ only: outputs are deleted by key), and its unfinished multipart uploads.
 */
const DELETES_TASK_OBJECTS = [
  rdsConnect,
  {
    Action: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:AbortMultipartUpload'],
    Effect: 'Allow',
    Resource: bucketArn('uploads/'),
  },
  { Action: 's3:DeleteObject', Effect: 'Allow', Resource: bucketArn('processed/') },
  listUploads,
];
const userPoolArn = { 'Fn::GetAtt': [expect.stringMatching(/^IdentityUserPool/) as unknown, 'Arn'] };

/** The routes whose reserved concurrency is their own (functions/routes.ts), below the stack's per-route 5. */
const OWN_RESERVATIONS: Partial<Record<RouteName, number>> = {
  'update-task': 2,
  'delete-task': 2,
  'list-public-videos': 2,
  'get-public-video': 2,
  'get-pilot': 2,
  'share-page': 2,
  'withdraw-vote': 3,
  'my-votes': 3,
  rankings: 2,
  'start-multipart-upload': 1,
  'sign-upload-parts': 3,
  'list-upload-parts': 1,
  'complete-multipart-upload': 2,
  health: 1,
  'report-video': 2,
  'admin-reports': 1,
  'hide-video': 1,
  'restore-video': 1,
  'annul-votes': 1,
  'audit-log': 1,
};

describe('routes', () => {
  it('declares every route of the route table, each with its own function, and no other', () => {
    const declared = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((route) => {
      const properties = route.Properties as { RouteKey: string; AuthorizationType: string };
      return `${properties.RouteKey} ${properties.AuthorizationType}`;
    });
    expect(declared.sort()).toEqual(
      routes.map((route) => `${route.method} ${route.path} ${route.auth ? 'CUSTOM' : 'NONE'}`).sort(),
    );
    expect([...synthesized.stack.api.routeFunctions.keys()].sort()).toEqual(
      routes.map((route) => route.name).sort(),
    );
  });

  it("has no route of the local stack's own pages (the mailbox under /_local/)", () => {
    const keys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (route) => (route.Properties as { RouteKey: string }).RouteKey,
    );
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((key) => key.includes('/_local') || key.includes('mailbox'))).toEqual([]);
    // Nor a catch-all that would reach one: every route is the route table's.
    expect(keys.filter((key) => key.includes('{proxy+}') || key === '$default')).toEqual([]);
  });

  it('puts exactly the database routes in the VPC, each with reserved concurrency (the rare and light routes fewer)', () => {
    for (const route of routes) {
      const properties = propertiesOf(template, functionId(route.name));
      expect({
        route: route.name,
        vpc: 'VpcConfig' in properties,
        reserved: properties.ReservedConcurrentExecutions,
      }).toEqual({
        route: route.name,
        vpc: route.database,
        reserved: route.database
          ? (OWN_RESERVATIONS[route.name] ?? DEFAULT_DATABASE_ROUTE_RESERVED_CONCURRENCY)
          : undefined,
      });
    }
  });
});

describe('authorizer', () => {
  it('is a Lambda authorizer with simple responses on the Authorization header, cached 1 minute', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 60,
    });
  });

  it('runs outside the VPC with the issuer, JWKS and client id, and may only list the groups of a user of the pool', () => {
    const id = logicalId(synthesized.stack, synthesized.stack.api.authorizerFunction);
    const properties = propertiesOf(template, id);
    expect('VpcConfig' in properties).toBe(false);
    const issuer = {
      'Fn::Join': [
        '',
        [
          'https://cognito-idp.',
          { Ref: 'AWS::Region' },
          '.amazonaws.com/',
          { Ref: expect.stringMatching(/^IdentityUserPool/) as unknown },
        ],
      ],
    };
    expect(environmentOf(id)).toEqual({
      POWERTOOLS_SERVICE_NAME: 'idrl-api',
      POWERTOOLS_METRICS_NAMESPACE: 'IDRL',
      LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
      USER_POOL_ID: { Ref: expect.stringMatching(/^IdentityUserPool/) as unknown },
      USER_POOL_CLIENT_ID: { Ref: expect.stringMatching(/^IdentityUserPoolApiClient/) as unknown },
      JWT_ISSUER: issuer,
      JWKS_URI: {
        'Fn::Join': [
          '',
          [
            'https://cognito-idp.',
            { Ref: 'AWS::Region' },
            '.amazonaws.com/',
            { Ref: expect.stringMatching(/^IdentityUserPool/) as unknown },
            '/.well-known/jwks.json',
          ],
        ],
      },
    });
    // The admins' routes: a token claiming the admins group is checked against the membership now.
    expect(policyStatementsOf(template, id)).toEqual([
      { Action: 'cognito-idp:AdminListGroupsForUser', Effect: 'Allow', Resource: userPoolArn },
    ]);
  });

  it('guards every admin route (all of /api/admin/) with the authorizer', () => {
    const adminRoutes = routes.filter((route) => route.path.startsWith('/api/admin/'));
    expect(adminRoutes.map((route) => 'admin' in route && route.admin)).toEqual(adminRoutes.map(() => true));
    const declared = Object.values(template.findResources('AWS::ApiGatewayV2::Route'))
      .map(
        (route) =>
          route.Properties as { RouteKey: string; AuthorizationType: string; AuthorizerId?: unknown },
      )
      .filter((properties) => properties.RouteKey.includes(' /api/admin/'));
    expect(declared).toHaveLength(adminRoutes.length);
    for (const properties of declared) {
      expect(properties.AuthorizationType).toBe('CUSTOM');
      expect(properties.AuthorizerId).toEqual({
        Ref: expect.stringMatching(/^ApiHttpApiCognitoAccessToken/) as unknown,
      });
    }
  });
});

describe('stage', () => {
  it('throttles the default stage and writes JSON access logs to a group with retention', () => {
    const accessLogsId = logicalId(synthesized.stack, synthesized.stack.api.node.findChild('AccessLogs'));
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [accessLogsId, 'Arn'] } },
    });
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0]?.Properties as {
      AccessLogSettings: { Format: string };
    };
    expect(Object.keys(JSON.parse(stage.AccessLogSettings.Format) as object)).toEqual(
      expect.arrayContaining([
        'requestId',
        'ip',
        'routeKey',
        'status',
        'integrationError',
        'authorizerError',
      ]),
    );
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('throttles the account and voting routes per route with the route table numbers, after the routes exist', () => {
    const [stageId, stage] = Object.entries(template.findResources('AWS::ApiGatewayV2::Stage'))[0] ?? [];
    const settings = {
      'POST /api/auth/signup': { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
      'POST /api/auth/login': { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      'POST /api/auth/refresh': { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      'POST /api/auth/logout': { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      'POST /api/auth/password/forgot': { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
      'POST /api/auth/password/reset': { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
      'POST /api/auth/verify-email': { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
      'POST /api/auth/verify-email/resend': { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
      'DELETE /api/auth/me': { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
      'POST /api/public/videos/{id}/vote': { ThrottlingRateLimit: 25, ThrottlingBurstLimit: 50 },
      'POST /api/public/videos/{id}/views': { ThrottlingRateLimit: 30, ThrottlingBurstLimit: 60 },
      'DELETE /api/public/videos/{id}/vote': { ThrottlingRateLimit: 25, ThrottlingBurstLimit: 50 },
      'POST /api/public/videos/{id}/reports': { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
    };
    expect((stage?.Properties as { RouteSettings: unknown }).RouteSettings).toEqual(settings);
    const throttledRouteIds = Object.entries(template.findResources('AWS::ApiGatewayV2::Route'))
      .filter(([, resource]) =>
        Object.keys(settings).includes((resource.Properties as { RouteKey: string }).RouteKey),
      )
      .map(([id]) => id);
    expect(throttledRouteIds).toHaveLength(Object.keys(settings).length);
    expect(stage?.DependsOn).toEqual(expect.arrayContaining(throttledRouteIds));
    expect(stageId).toMatch(/^ApiDefaultStage/);
  });

  it('allows CORS from the configured origins only, and has no CORS without any', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: ['https://console.example.com'],
        AllowMethods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
        AllowHeaders: ['Authorization', 'Content-Type'],
        MaxAge: 86400,
      },
    });

    // Prepare + Act
    const { template: sameOrigin } = synthesize({ allowedOrigins: [] });

    // Assess
    const api = Object.values(sameOrigin.findResources('AWS::ApiGatewayV2::Api'))[0]?.Properties as Record<
      string,
      unknown
    >;
    expect(api.CorsConfiguration).toBeUndefined();
  });
});

describe('per-pilot quotas', () => {
  it.each([
    ['create-task', () => functionId('create-task')],
    [
      'the retry transition',
      () => logicalId(synthesized.stack, synthesized.stack.api.retryTransition.function),
    ],
  ] as const)(
    'gives %s the default quotas explicitly: 5 unfinished tasks, 5 GiB of declared uploads a day',
    (_name, id) => {
      expect(environmentOf(id())).toMatchObject({
        MAX_UNFINISHED_TASKS: '5',
        MAX_DAILY_UPLOAD_BYTES: String(5 * 1024 ** 3),
      });
    },
  );
});

describe('least-privilege IAM per function', () => {
  it('lets create-task only put objects under uploads/ (the presigned POST carries this permission)', () => {
    expect(policyStatementsOf(template, functionId('create-task'))).toEqual([
      rdsConnect,
      { Action: 's3:PutObject', Effect: 'Allow', Resource: bucketArn('uploads/') },
    ]);
  });

  it("lets get-task and list-tasks only read objects under uploads/ (the original's recorded version) and processed/", () => {
    for (const name of ['get-task', 'list-tasks'] as const) {
      expect(policyStatementsOf(template, functionId(name))).toEqual([
        rdsConnect,
        { Action: ['s3:GetObject', 's3:GetObjectVersion'], Effect: 'Allow', Resource: bucketArn('uploads/') },
        { Action: 's3:GetObject', Effect: 'Allow', Resource: bucketArn('processed/') },
      ]);
    }
  });

  it('lets update-task read the same and put only re-cut markers under requeue/, with the daily re-cut limit', () => {
    expect(policyStatementsOf(template, functionId('update-task'))).toEqual([
      rdsConnect,
      { Action: ['s3:GetObject', 's3:GetObjectVersion'], Effect: 'Allow', Resource: bucketArn('uploads/') },
      { Action: 's3:GetObject', Effect: 'Allow', Resource: bucketArn('processed/') },
      { Action: 's3:PutObject', Effect: 'Allow', Resource: bucketArn('requeue/') },
    ]);
    expect(environmentOf(functionId('update-task'))).toMatchObject({ MAX_DAILY_RECUTS: '10' });
  });

  it('lets the public gallery read only edited videos and posters (processed/), never an original', () => {
    for (const name of ['list-public-videos', 'get-public-video', 'get-pilot', 'share-page'] as const) {
      expect({ name, statements: policyStatementsOf(template, functionId(name)) }).toEqual({
        name,
        statements: [
          rdsConnect,
          { Action: 's3:GetObject', Effect: 'Allow', Resource: bucketArn('processed/') },
        ],
      });
    }
  });

  it("sets the rankings' season start dates from the stack's, and none unless configured", () => {
    // Prepare + Act
    const { stack, template: withSeasons } = synthesize({ seasonStarts: ['2026-03-01', '2026-09-01'] });
    const rankings = stack.api.routeFunctions.get('rankings');
    if (!rankings) throw new Error('No rankings function');
    const { Environment } = propertiesOf(withSeasons, logicalId(stack, rankings)) as {
      Environment: { Variables: Record<string, unknown> };
    };

    // Assess
    expect(Environment.Variables).toMatchObject({ LEAGUE_SEASON_STARTS: '2026-03-01,2026-09-01' });
    expect(environmentOf(functionId('rankings'))).not.toHaveProperty('LEAGUE_SEASON_STARTS');
  });

  it('gives voting and the rankings only the database', () => {
    for (const name of ['vote', 'withdraw-vote', 'my-votes', 'rankings'] as const) {
      expect({ name, statements: policyStatementsOf(template, functionId(name)) }).toEqual({
        name,
        statements: [rdsConnect],
      });
    }
  });

  it('lets delete-task only delete objects and abort unfinished uploads of uploads/ and processed/', () => {
    expect(policyStatementsOf(template, functionId('delete-task'))).toEqual(DELETES_TASK_OBJECTS);
  });

  it('gives each multipart route only the upload actions it takes, under uploads/ only', () => {
    expect(policyStatementsOf(template, functionId('start-multipart-upload'))).toEqual([
      rdsConnect,
      {
        Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
        Effect: 'Allow',
        Resource: bucketArn('uploads/'),
      },
      listUploads,
    ]);
    expect(policyStatementsOf(template, functionId('sign-upload-parts'))).toEqual([
      rdsConnect,
      { Action: 's3:PutObject', Effect: 'Allow', Resource: bucketArn('uploads/') },
    ]);
    expect(policyStatementsOf(template, functionId('list-upload-parts'))).toEqual([
      rdsConnect,
      { Action: 's3:ListMultipartUploadParts', Effect: 'Allow', Resource: bucketArn('uploads/') },
    ]);
    expect(policyStatementsOf(template, functionId('complete-multipart-upload'))).toEqual([
      rdsConnect,
      {
        Action: [
          's3:PutObject',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
          's3:GetObject',
          's3:GetObjectVersion',
        ],
        Effect: 'Allow',
        Resource: bucketArn('uploads/'),
      },
      { Action: 's3:GetObject', Effect: 'Allow', Resource: bucketArn('processed/') },
    ]);
  });

  it('lets retry-task invoke exactly its transition and send to the upload queue only, from outside the VPC', () => {
    const { stack } = synthesized;
    const transitionId = logicalId(stack, stack.api.retryTransition.function);
    const queueId = logicalId(stack, stack.storage.queue);
    const id = functionId('retry-task');
    expect(policyStatementsOf(template, id)).toEqual([
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [transitionId, 'Arn'] } },
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
    ]);
    expect(environmentOf(id)).toMatchObject({
      RETRY_TRANSITION_FUNCTION: { Ref: transitionId },
      UPLOAD_QUEUE_URL: { Ref: queueId },
      BUCKET_NAME: expect.anything() as unknown,
    });
    expect(environmentOf(id)).not.toHaveProperty('DB_HOST');
    expect('VpcConfig' in propertiesOf(template, id)).toBe(false);
    // The transition's own timeout (a database route's, 10 s on RDS) plus the send and a revert.
    expect(propertiesOf(template, id).Timeout).toBe(18);
  });

  it('lets record-view send to the views queue only, from outside the VPC, with the stack secret as viewer key', () => {
    const { stack } = synthesized;
    const queueId = logicalId(stack, stack.views.queue);
    const id = functionId('record-view');
    expect(policyStatementsOf(template, id)).toEqual([
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
    ]);
    const environment = environmentOf(id);
    expect(environment).toMatchObject({
      VIEW_QUEUE_URL: { Ref: queueId },
      // The stack's UUID: unguessable, in neither the code nor the template's text.
      VIEWER_KEY_SECRET: {
        'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }],
      },
      JWT_ISSUER: expect.anything() as unknown,
      USER_POOL_CLIENT_ID: expect.anything() as unknown,
    });
    expect(environment).not.toHaveProperty('DB_HOST');
    expect(environment).not.toHaveProperty('BUCKET_NAME');
    expect('VpcConfig' in propertiesOf(template, id)).toBe(false);
  });

  it('counts views in the VPC with the database only, 1 at a time, in batches of up to 100 within 5 s', () => {
    const { stack } = synthesized;
    const id = logicalId(stack, stack.views.consumer);
    const queueId = logicalId(stack, stack.views.queue);
    // The event source mapping polls with the function's role: receiving from its own queue, nothing else.
    expect(policyStatementsOf(template, id)).toEqual([
      rdsConnect,
      {
        Action: [
          'sqs:ReceiveMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueUrl',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
        ],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
      },
    ]);
    expect(propertiesOf(template, id)).toMatchObject({
      ReservedConcurrentExecutions: 1,
      Timeout: 30,
      VpcConfig: expect.anything() as unknown,
    });
    expect(propertiesOf(template, logicalId(stack, stack.views.eventSourceMapping))).toEqual({
      FunctionName: { Ref: id },
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    expect(propertiesOf(template, queueId)).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 86_400,
      VisibilityTimeout: 180,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack, stack.views.deadLetterQueue), 'Arn'] },
        maxReceiveCount: 10,
      },
    });
  });

  it.each(['verify-email', 'resend-verification'] as const)(
    'lets %s read and update the user on the pool and invoke exactly the email codes, from outside the VPC',
    (name) => {
      const { stack } = synthesized;
      const codesId = logicalId(stack, stack.api.emailCodes.function);
      const id = functionId(name);
      expect(policyStatementsOf(template, id)).toEqual([
        {
          Action: ['cognito-idp:AdminGetUser', 'cognito-idp:AdminUpdateUserAttributes'],
          Effect: 'Allow',
          Resource: userPoolArn,
        },
        { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [codesId, 'Arn'] } },
      ]);
      expect(environmentOf(id)).toMatchObject({ EMAIL_CODES_FUNCTION: { Ref: codesId } });
      expect('VpcConfig' in propertiesOf(template, id)).toBe(false);
    },
  );

  it('runs the email codes in the VPC with the database only, 1 at a time, invoked by nothing but its routes', () => {
    const { stack } = synthesized;
    const id = logicalId(stack, stack.api.emailCodes.function);
    expect(policyStatementsOf(template, id)).toEqual([rdsConnect]);
    expect(propertiesOf(template, id)).toMatchObject({
      ReservedConcurrentExecutions: 1,
      Timeout: 10,
      VpcConfig: expect.anything() as unknown,
    });
    const invokers = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([, policy]) => JSON.stringify(policy.Properties).includes(`"${id}","Arn"`))
      .map(([policyId]) => policyId);
    expect(invokers).toHaveLength(3);
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (permission) =>
        JSON.stringify((permission.Properties as { FunctionName: unknown }).FunctionName).includes(id),
    );
    expect(permissions).toEqual([]);
  });

  it('runs the retry transition in the VPC with the database and reads of uploads/ for the answer, 2 at a time', () => {
    const id = logicalId(synthesized.stack, synthesized.stack.api.retryTransition.function);
    expect(policyStatementsOf(template, id)).toEqual([
      rdsConnect,
      { Action: ['s3:GetObject', 's3:GetObjectVersion'], Effect: 'Allow', Resource: bucketArn('uploads/') },
    ]);
    expect(propertiesOf(template, id)).toMatchObject({
      ReservedConcurrentExecutions: 2,
      Timeout: 10,
      VpcConfig: expect.anything() as unknown,
    });
  });

  it('gives signup only the Cognito admin actions it calls, on the pool only, and login and refresh none', () => {
    const codesId = logicalId(synthesized.stack, synthesized.stack.api.emailCodes.function);
    expect(policyStatementsOf(template, functionId('signup'))).toEqual([
      {
        Action: [
          'cognito-idp:AdminCreateUser',
          'cognito-idp:AdminSetUserPassword',
          'cognito-idp:AdminDeleteUser',
          'cognito-idp:AdminUpdateUserAttributes',
        ],
        Effect: 'Allow',
        Resource: userPoolArn,
      },
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [codesId, 'Arn'] } },
    ]);
    expect(policyStatementsOf(template, functionId('login'))).toEqual([]);
    expect(policyStatementsOf(template, functionId('refresh'))).toEqual([]);
    expect(environmentOf(functionId('refresh'))).toMatchObject({
      USER_POOL_ID: expect.anything() as unknown,
      USER_POOL_CLIENT_ID: expect.anything() as unknown,
    });
  });

  it('lets me only read the user and its groups, on the pool only, from outside the VPC', () => {
    const id = functionId('me');
    expect(policyStatementsOf(template, id)).toEqual([
      {
        Action: ['cognito-idp:AdminGetUser', 'cognito-idp:AdminListGroupsForUser'],
        Effect: 'Allow',
        Resource: userPoolArn,
      },
    ]);
    expect('VpcConfig' in propertiesOf(template, id)).toBe(false);
  });

  it('lets reset-password only end the sessions of a user of the pool (forgot-password needs no IAM)', () => {
    expect(policyStatementsOf(template, functionId('reset-password'))).toEqual([
      { Action: 'cognito-idp:AdminUserGlobalSignOut', Effect: 'Allow', Resource: userPoolArn },
    ]);
    expect(policyStatementsOf(template, functionId('forgot-password'))).toEqual([]);
  });

  it('gives health only the database, and the public pages nothing', () => {
    expect(policyStatementsOf(template, functionId('health'))).toEqual([rdsConnect]);
    for (const name of routes
      .filter(
        (route) =>
          !route.database &&
          ![
            'signup',
            'login',
            'refresh',
            'me',
            'reset-password',
            'delete-account',
            'retry-task',
            'record-view',
            'verify-email',
            'resend-verification',
            'suspend-pilot',
            'reinstate-pilot',
          ].includes(route.name),
      )
      .map((route) => route.name)) {
      expect({ name, statements: policyStatementsOf(template, functionId(name)) }).toEqual({
        name,
        statements: [],
      });
      expect(managedPoliciesOf(template, functionId(name))).toEqual([
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
          ],
        },
      ]);
    }
  });

  it("gives the console its bucket's name (no permission), so its CSP names that bucket's host and no wildcard", () => {
    // Prepare
    const environment = environmentOf(functionId('console'));
    const bucket = synthesized.stack.storage.bucket;

    // Act: the policy the function computes at cold start, for a bucket of that name.
    const policy = contentSecurityPolicy(
      storageSources({ ...environment, BUCKET_NAME: 'idrl-test-bucket', AWS_REGION: 'eu-west-1' }),
    );

    // Assess: the assets' function is the same handler and computes the policy at INIT too (without the name it
    // failed every asset request with 500, so the console never loaded).
    for (const name of ['console', 'console-asset'] as const) {
      expect(environmentOf(functionId(name)).BUCKET_NAME).toEqual({
        Ref: logicalId(synthesized.stack, bucket),
      });
      expect(policyStatementsOf(template, functionId(name))).toEqual([]);
    }
    expect(environment).not.toHaveProperty('S3_ENDPOINT');
    expect(policy).toContain("connect-src 'self' https://idrl-test-bucket.s3.eu-west-1.amazonaws.com;");
    expect(policy).not.toContain('*');
  });

  it('lets suspend and reinstate change only the users of the pool and invoke exactly the pilot-standing function, from outside the VPC', () => {
    const standingId = logicalId(synthesized.stack, synthesized.stack.api.pilotStanding.function);
    const invoke = {
      Action: 'lambda:InvokeFunction',
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [standingId, 'Arn'] },
    };
    const expected = {
      'suspend-pilot': [
        'cognito-idp:AdminGetUser',
        'cognito-idp:AdminDisableUser',
        'cognito-idp:AdminUserGlobalSignOut',
      ],
      'reinstate-pilot': ['cognito-idp:AdminGetUser', 'cognito-idp:AdminEnableUser'],
    } as const;
    for (const [name, actions] of Object.entries(expected)) {
      const id = functionId(name as RouteName);
      expect(policyStatementsOf(template, id)).toEqual([
        { Action: actions, Effect: 'Allow', Resource: userPoolArn },
        invoke,
      ]);
      expect(environmentOf(id)).toMatchObject({ PILOT_STANDING_FUNCTION: { Ref: standingId } });
      expect(environmentOf(id)).not.toHaveProperty('DB_HOST');
      expect('VpcConfig' in propertiesOf(template, id)).toBe(false);
    }
    // Inside the VPC, one at a time, with the database and nothing else.
    const standing = propertiesOf(template, standingId);
    expect('VpcConfig' in standing).toBe(true);
    expect(standing.ReservedConcurrentExecutions).toBe(1);
    expect(policyStatementsOf(template, standingId)).toEqual([rdsConnect]);
  });

  it('lets delete-account read and delete users of the pool and invoke exactly the purge function, from outside the VPC', () => {
    const purgeId = logicalId(synthesized.stack, synthesized.stack.accountPurge.function);
    const id = functionId('delete-account');
    expect(policyStatementsOf(template, id)).toEqual([
      {
        Action: ['cognito-idp:AdminGetUser', 'cognito-idp:AdminDeleteUser'],
        Effect: 'Allow',
        Resource: userPoolArn,
      },
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [purgeId, 'Arn'] } },
    ]);
    expect(environmentOf(id)).toMatchObject({
      PURGE_ACCOUNT_FUNCTION: { Ref: purgeId },
      USER_POOL_ID: expect.anything() as unknown,
    });
    expect(environmentOf(id)).not.toHaveProperty('DB_HOST');
    const properties = propertiesOf(template, id);
    expect('VpcConfig' in properties).toBe(false);
    // The purge's own timeout (a database route's, 10 s on RDS) plus the Cognito calls.
    expect(properties.Timeout).toBe(15);
  });

  it('gives the purge, the retry transition and their callers room for a resuming database on the serverless option', () => {
    // Prepare + Act
    const { stack, template: serverless } = synthesize({ database: 'serverless' });

    // Assess
    const caller = stack.api.routeFunctions.get('delete-account');
    if (!caller) throw new Error('No delete-account function');
    // A database route's 28 s plus the caller's 5 s would pass API Gateway's 29 s: the purge gets 23 s, so its
    // caller (28 s) always outlives it and still deletes the Cognito user or reports the failure.
    expect(propertiesOf(serverless, logicalId(stack, stack.accountPurge.function)).Timeout).toBe(23);
    expect(propertiesOf(serverless, logicalId(stack, caller)).Timeout).toBe(28);
    const retry = stack.api.routeFunctions.get('retry-task');
    if (!retry) throw new Error('No retry-task function');
    expect(propertiesOf(serverless, logicalId(stack, stack.api.retryTransition.function)).Timeout).toBe(20);
    expect(propertiesOf(serverless, logicalId(stack, retry)).Timeout).toBe(28);
  });

  it('runs the account purge in the VPC with the database, deletes under uploads/ and processed/ and aborts uploads under uploads/, 2 at a time', () => {
    const purgeId = logicalId(synthesized.stack, synthesized.stack.accountPurge.function);
    const properties = propertiesOf(template, purgeId);
    expect('VpcConfig' in properties).toBe(true);
    expect(properties.ReservedConcurrentExecutions).toBe(2);
    expect(properties.Timeout).toBe(10);
    expect(policyStatementsOf(template, purgeId)).toEqual(DELETES_TASK_OBJECTS);
    expect(environmentOf(purgeId)).toMatchObject({
      DB_IAM_AUTH: 'true',
      BUCKET_NAME: expect.anything() as unknown,
    });
    // Nothing but delete-account may invoke it: no resource policy (no Lambda permission) opens it to a service.
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (permission) =>
        JSON.stringify((permission.Properties as { FunctionName: unknown }).FunctionName).includes(purgeId),
    );
    expect(permissions).toEqual([]);
  });

  it('tells database functions where PostgreSQL is and to use IAM authentication', () => {
    expect(environmentOf(functionId('get-task'))).toMatchObject({
      DB_HOST: { 'Fn::GetAtt': [expect.stringMatching(/^DatabaseInstance/) as unknown, 'Endpoint.Address'] },
      DB_PORT: { 'Fn::GetAtt': [expect.stringMatching(/^DatabaseInstance/) as unknown, 'Endpoint.Port'] },
      DB_NAME: 'idrl',
      DB_USER: 'idrl_app',
      DB_IAM_AUTH: 'true',
      NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      BUCKET_NAME: { Ref: expect.stringMatching(/^StorageBucket/) as unknown },
    });
    expect(environmentOf(functionId('login'))).not.toHaveProperty('DB_HOST');
  });
});
