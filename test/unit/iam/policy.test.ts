import { describe, expect, it } from 'vitest';
import {
  type CallerIdentity,
  type IamRequest,
  type NamedPolicy,
  type Statement,
  assertSupportedPolicy,
  evaluate,
} from '#infra/local/iam/policy';

const caller: CallerIdentity = {
  accountId: '000000000000',
  roleArn: 'arn:aws:iam::000000000000:role/ApiDeleteTaskRole',
  sessionArn: 'arn:aws:sts::000000000000:assumed-role/ApiDeleteTaskRole/delete-task',
};
const BUCKET = 'arn:aws:s3:::idrl-videos';

function request(action: string, resource: string, context: IamRequest['context'] = {}): IamRequest {
  return { action, resource, context };
}

function identity(...statements: Statement[]): NamedPolicy[] {
  return [{ name: 'role/DefaultPolicy', document: { Version: '2012-10-17', Statement: statements } }];
}

function decide(req: IamRequest, ...statements: Statement[]): string {
  return evaluate(req, { identity: identity(...statements) }, caller).decision;
}

function condition(operator: string, key: string, values: string | string[]): Statement {
  return {
    Effect: 'Allow',
    Action: 's3:ListBucket',
    Resource: BUCKET,
    Condition: { [operator]: { [key]: values } },
  };
}

describe('evaluate: actions and resources', () => {
  it('allows an action its statement names, case-insensitively, and denies others implicitly', () => {
    const allow: Statement = { Effect: 'Allow', Action: 's3:getobject', Resource: `${BUCKET}/uploads/*` };
    expect(decide(request('s3:GetObject', `${BUCKET}/uploads/1/a.mp4`), allow)).toBe('allow');
    expect(decide(request('s3:PutObject', `${BUCKET}/uploads/1/a.mp4`), allow)).toBe('implicit-deny');
  });

  it('matches * and ? in actions', () => {
    expect(
      decide(request('s3:GetObject', BUCKET), { Effect: 'Allow', Action: 's3:Get*', Resource: '*' }),
    ).toBe('allow');
    expect(
      decide(request('s3:GetObject', BUCKET), { Effect: 'Allow', Action: 's3:GetObjec?', Resource: '*' }),
    ).toBe('allow');
    expect(
      decide(request('sqs:GetQueueUrl', BUCKET), { Effect: 'Allow', Action: 's3:*', Resource: '*' }),
    ).toBe('implicit-deny');
  });

  it('NotAction applies to every action except the listed ones', () => {
    const statement: Statement = { Effect: 'Allow', NotAction: 's3:Delete*', Resource: '*' };
    expect(decide(request('s3:GetObject', `${BUCKET}/k`), statement)).toBe('allow');
    expect(decide(request('s3:DeleteObject', `${BUCKET}/k`), statement)).toBe('implicit-deny');
  });

  it('NotResource applies to every resource except the listed ones', () => {
    const statement: Statement = {
      Effect: 'Allow',
      Action: 's3:GetObject',
      NotResource: `${BUCKET}/private/*`,
    };
    expect(decide(request('s3:GetObject', `${BUCKET}/uploads/k`), statement)).toBe('allow');
    expect(decide(request('s3:GetObject', `${BUCKET}/private/k`), statement)).toBe('implicit-deny');
  });

  it('a resource wildcard spans slashes but never a colon between ARN components', () => {
    const objects: Statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/uploads/*` };
    expect(decide(request('s3:GetObject', `${BUCKET}/uploads/1/2/a.mp4`), objects)).toBe('allow');
    expect(decide(request('s3:GetObject', `${BUCKET}/processed/1/a.mp4`), objects)).toBe('implicit-deny');
    const queues: Statement = {
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: 'arn:aws:sqs:*:000000000000:idrl-*',
    };
    expect(
      decide(request('sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:idrl-uploads'), queues),
    ).toBe('allow');
    const regionSpanning: Statement = {
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: 'arn:aws:sqs:us-*',
    };
    expect(
      decide(request('sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:idrl-uploads'), regionSpanning),
    ).toBe('implicit-deny');
  });

  it('the bucket ARN is not an object ARN: bucket/* does not cover the bucket itself', () => {
    expect(
      decide(request('s3:ListBucket', BUCKET), {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: `${BUCKET}/*`,
      }),
    ).toBe('implicit-deny');
  });
});

describe('evaluate: explicit deny and policy kinds', () => {
  const deleteUploads: Statement = {
    Effect: 'Allow',
    Action: 's3:DeleteObject',
    Resource: `${BUCKET}/uploads/*`,
  };

  it('an explicit deny wins over an allow and names the statement', () => {
    const decision = evaluate(
      request('s3:DeleteObject', `${BUCKET}/uploads/k`),
      {
        identity: identity(deleteUploads, {
          Sid: 'KeepUploads',
          Effect: 'Deny',
          Action: 's3:Delete*',
          Resource: '*',
        }),
      },
      caller,
    );
    expect(decision).toEqual({
      decision: 'explicit-deny',
      statement: { policy: 'role/DefaultPolicy', kind: 'identity-based', index: 1, sid: 'KeepUploads' },
      deniedBy: 'identity-based',
      reason: 'explicitly denied by role/DefaultPolicy statement KeepUploads',
    });
  });

  it("a bucket policy's deny applies to the caller through Principal *, and its allow grants alone", () => {
    const bucketPolicy: NamedPolicy = {
      name: 'bucket policy of idrl-videos',
      document: {
        Statement: [
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Resource: [BUCKET, `${BUCKET}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
          {
            Effect: 'Allow',
            Principal: { AWS: caller.roleArn },
            Action: 's3:GetObject',
            Resource: `${BUCKET}/*`,
          },
        ],
      },
    };
    const get = (secure: string): IamRequest =>
      request('s3:GetObject', `${BUCKET}/k`, { 'aws:SecureTransport': secure });
    expect(evaluate(get('true'), { identity: [], resource: bucketPolicy }, caller).decision).toBe('allow');
    const insecure = evaluate(
      get('false'),
      { identity: identity(deleteUploads), resource: bucketPolicy },
      caller,
    );
    expect(insecure.decision).toBe('explicit-deny');
    expect(insecure.deniedBy).toBe('resource-based');
  });

  it('a resource policy naming the account (or another principal) grants nothing by itself', () => {
    const resource = (principal: Statement['Principal']): NamedPolicy => ({
      name: 'queue policy',
      document: { Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sqs:*', Resource: '*' }] },
    });
    const send = request('sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q');
    const others: Statement['Principal'][] = [
      { AWS: 'arn:aws:iam::000000000000:root' },
      { AWS: '000000000000' },
      { Service: 's3.amazonaws.com' },
      { AWS: 'arn:aws:iam::000000000000:role/Other' },
    ];
    for (const principal of others)
      expect(evaluate(send, { identity: [], resource: resource(principal) }, caller).decision).toBe(
        'implicit-deny',
      );
    expect(evaluate(send, { identity: [], resource: resource('*') }, caller).decision).toBe('allow');
  });

  it('a VPC endpoint policy must also allow, and never grants by itself', () => {
    const endpoint: NamedPolicy = {
      name: 'S3 gateway endpoint policy',
      document: {
        Statement: [
          { Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:GetObject', Resource: `${BUCKET}/*` },
        ],
      },
    };
    const del = request('s3:DeleteObject', `${BUCKET}/uploads/k`);
    const throughEndpoint = evaluate(
      del,
      { identity: identity(deleteUploads), vpcEndpoint: endpoint },
      caller,
    );
    expect(throughEndpoint).toMatchObject({ decision: 'implicit-deny', deniedBy: 'VPC endpoint' });
    expect(evaluate(del, { identity: identity(deleteUploads) }, caller).decision).toBe('allow');
    expect(
      evaluate(request('s3:GetObject', `${BUCKET}/k`), { identity: [], vpcEndpoint: endpoint }, caller)
        .decision,
    ).toBe('implicit-deny');
  });

  it('an implicit deny lists the policies that were searched', () => {
    expect(evaluate(request('s3:GetObject', `${BUCKET}/k`), { identity: identity() }, caller)).toEqual({
      decision: 'implicit-deny',
      deniedBy: 'identity-based',
      reason: 'no statement allows it in role/DefaultPolicy',
    });
  });
});

describe('evaluate: conditions', () => {
  const list = (context: IamRequest['context']): IamRequest => request('s3:ListBucket', BUCKET, context);

  it('StringLike matches wildcards; an absent key makes it false', () => {
    const statement = condition('StringLike', 's3:prefix', ['uploads/*']);
    expect(decide(list({ 's3:prefix': 'uploads/1/' }), statement)).toBe('allow');
    expect(decide(list({ 's3:prefix': 'processed/' }), statement)).toBe('implicit-deny');
    expect(decide(list({}), statement)).toBe('implicit-deny');
  });

  it('StringEquals is exact and case-sensitive; IgnoreCase is not', () => {
    expect(
      decide(list({ 's3:prefix': 'Uploads/' }), condition('StringEquals', 's3:prefix', 'uploads/')),
    ).toBe('implicit-deny');
    expect(
      decide(list({ 's3:prefix': 'Uploads/' }), condition('StringEqualsIgnoreCase', 's3:prefix', 'uploads/')),
    ).toBe('allow');
    expect(
      decide(list({ 's3:prefix': 'uploads/' }), condition('StringEquals', 's3:prefix', 'uploads/')),
    ).toBe('allow');
  });

  it('several values of one key are ORed; a negated operator is their NOR', () => {
    const values = ['uploads/*', 'requeue/*'];
    expect(decide(list({ 's3:prefix': 'requeue/1' }), condition('StringLike', 's3:prefix', values))).toBe(
      'allow',
    );
    expect(decide(list({ 's3:prefix': 'requeue/1' }), condition('StringNotLike', 's3:prefix', values))).toBe(
      'implicit-deny',
    );
    expect(
      decide(list({ 's3:prefix': 'processed/1' }), condition('StringNotLike', 's3:prefix', values)),
    ).toBe('allow');
  });

  it('several keys and several operators are ANDed', () => {
    const statement: Statement = {
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: BUCKET,
      Condition: {
        StringLike: { 's3:prefix': 'uploads/*', 's3:delimiter': '/' },
        Bool: { 'aws:SecureTransport': 'true' },
      },
    };
    const all = { 's3:prefix': 'uploads/', 's3:delimiter': '/', 'aws:SecureTransport': 'true' };
    expect(decide(list(all), statement)).toBe('allow');
    expect(decide(list({ ...all, 's3:delimiter': '-' }), statement)).toBe('implicit-deny');
    expect(decide(list({ ...all, 'aws:SecureTransport': 'false' }), statement)).toBe('implicit-deny');
  });

  it('a negated operator on an absent key is true (AWS: the key "does not match")', () => {
    expect(decide(list({}), condition('StringNotEquals', 's3:prefix', 'uploads/'))).toBe('allow');
    expect(decide(list({}), condition('ArnNotLike', 'aws:SourceArn', 'arn:aws:s3:::*'))).toBe('allow');
  });

  it('IfExists is true for an absent key and checks a present one', () => {
    const statement = condition('StringLikeIfExists', 's3:prefix', 'uploads/*');
    expect(decide(list({}), statement)).toBe('allow');
    expect(decide(list({ 's3:prefix': 'processed/' }), statement)).toBe('implicit-deny');
  });

  it('Bool compares true/false; an absent key is false, BoolIfExists true', () => {
    expect(
      decide(list({ 'aws:SecureTransport': 'true' }), condition('Bool', 'aws:SecureTransport', 'true')),
    ).toBe('allow');
    expect(
      decide(list({ 'aws:SecureTransport': 'false' }), condition('Bool', 'aws:SecureTransport', 'true')),
    ).toBe('implicit-deny');
    expect(decide(list({}), condition('Bool', 'aws:SecureTransport', 'false'))).toBe('implicit-deny');
    expect(decide(list({}), condition('BoolIfExists', 'aws:SecureTransport', 'false'))).toBe('allow');
  });

  it('Null tests presence only', () => {
    expect(decide(list({}), condition('Null', 's3:prefix', 'true'))).toBe('allow');
    expect(decide(list({ 's3:prefix': '' }), condition('Null', 's3:prefix', 'true'))).toBe('implicit-deny');
    expect(decide(list({ 's3:prefix': '' }), condition('Null', 's3:prefix', 'false'))).toBe('allow');
    expect(decide(list({}), condition('Null', 's3:prefix', 'false'))).toBe('implicit-deny');
  });

  it('ArnLike and ArnEquals compare component by component with wildcards', () => {
    const source = { 'aws:SourceArn': 'arn:aws:s3:::idrl-videos' };
    expect(decide(list(source), condition('ArnLike', 'aws:SourceArn', 'arn:aws:s3:::idrl-*'))).toBe('allow');
    expect(decide(list(source), condition('ArnEquals', 'aws:SourceArn', 'arn:aws:s3:::idrl-videos'))).toBe(
      'allow',
    );
    expect(decide(list(source), condition('ArnLike', 'aws:SourceArn', 'arn:aws:sqs:*:*:*'))).toBe(
      'implicit-deny',
    );
    expect(decide(list(source), condition('ArnNotEquals', 'aws:SourceArn', 'arn:aws:s3:::idrl-videos'))).toBe(
      'implicit-deny',
    );
  });

  it('ForAnyValue needs one listed value; ForAllValues needs every value listed and holds for none', () => {
    const tags = (...keys: string[]): IamRequest => list({ 'aws:TagKeys': keys });
    expect(decide(tags('team', 'x'), condition('ForAnyValue:StringEquals', 'aws:TagKeys', 'team'))).toBe(
      'allow',
    );
    expect(decide(tags('x'), condition('ForAnyValue:StringEquals', 'aws:TagKeys', 'team'))).toBe(
      'implicit-deny',
    );
    expect(decide(list({}), condition('ForAnyValue:StringEquals', 'aws:TagKeys', 'team'))).toBe(
      'implicit-deny',
    );
    expect(decide(tags('team', 'x'), condition('ForAllValues:StringEquals', 'aws:TagKeys', 'team'))).toBe(
      'implicit-deny',
    );
    expect(decide(tags('team'), condition('ForAllValues:StringEquals', 'aws:TagKeys', ['team', 'x']))).toBe(
      'allow',
    );
    expect(decide(list({}), condition('ForAllValues:StringEquals', 'aws:TagKeys', 'team'))).toBe('allow');
  });

  it('a multi-valued key without a set qualifier matches when any of its values does', () => {
    expect(
      decide(list({ 'aws:TagKeys': ['a', 'team'] }), condition('StringEquals', 'aws:TagKeys', 'team')),
    ).toBe('allow');
  });
});

describe('assertSupportedPolicy', () => {
  const policy = (statement: Record<string, unknown>): NamedPolicy => ({
    name: 'p',
    document: { Statement: [statement as unknown as Statement] },
  });
  const base = { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' };

  it('accepts the operators it implements, with IfExists and set qualifiers', () => {
    expect(() => {
      assertSupportedPolicy(
        policy({
          ...base,
          Condition: {
            StringLikeIfExists: { k: 'v' },
            'ForAllValues:StringEquals': { k: 'v' },
            Null: { k: 'true' },
          },
        }),
      );
    }).not.toThrow();
  });

  it('refuses what it cannot evaluate instead of guessing', () => {
    expect(() => {
      assertSupportedPolicy(policy({ ...base, Condition: { NumericLessThan: { k: '1' } } }));
    }).toThrow(/NumericLessThan/);
    expect(() => {
      assertSupportedPolicy(policy({ ...base, Condition: { NullIfExists: { k: 'true' } } }));
    }).toThrow(/NullIfExists/);
    expect(() => {
      assertSupportedPolicy(policy({ ...base, NotPrincipal: { AWS: '*' } }));
    }).toThrow(/NotPrincipal/);
    expect(() => {
      assertSupportedPolicy(policy({ ...base, Resource: 'arn:aws:s3:::b/${aws:username}/*' }));
    }).toThrow(/variables/);
    expect(() => {
      assertSupportedPolicy(policy({ Effect: 'Allow', Resource: '*' }));
    }).toThrow(/Action/);
  });
});
