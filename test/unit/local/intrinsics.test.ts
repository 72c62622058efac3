import { describe, expect, it } from 'vitest';
import { type ResolvedResource, UnresolvableError, createResolver } from '#infra/local/template/intrinsics';

const resolve = createResolver({
  resources: new Map<string, ResolvedResource>([
    ['Bucket', { ref: 'idrl-videos', attributes: { Arn: 'arn:aws:s3:::idrl-videos' } }],
    ['Db', { ref: 'db', attributes: { 'Endpoint.Address': '127.0.0.1', 'Endpoint.Port': '5432' } }],
  ]),
  pseudo: { region: 'us-east-1', accountId: '000000000000', stackName: 'IdrlVideoPlatform' },
  conditions: { IsChina: { 'Fn::Equals': [{ Ref: 'AWS::Partition' }, 'aws-cn'] } },
});

describe('the intrinsic resolver', () => {
  it('resolves Ref, Fn::GetAtt in both forms and the pseudo parameters', () => {
    expect(
      resolve({
        name: { Ref: 'Bucket' },
        arn: { 'Fn::GetAtt': ['Bucket', 'Arn'] },
        host: { 'Fn::GetAtt': 'Db.Endpoint.Address' },
        where: [
          { Ref: 'AWS::Region' },
          { Ref: 'AWS::AccountId' },
          { Ref: 'AWS::Partition' },
          { Ref: 'AWS::URLSuffix' },
        ],
      }),
    ).toEqual({
      name: 'idrl-videos',
      arn: 'arn:aws:s3:::idrl-videos',
      host: '127.0.0.1',
      where: ['us-east-1', '000000000000', 'aws', 'amazonaws.com'],
    });
  });

  it('joins, substitutes, splits and selects as CloudFormation does', () => {
    expect(resolve({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/*']] })).toBe(
      'arn:aws:s3:::idrl-videos/*',
    );
    expect(
      resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/${!Literal}:${Db.Endpoint.Port}' }),
    ).toBe('arn:aws:s3:::idrl-videos/${Literal}:5432');
    expect(resolve({ 'Fn::Sub': ['${Name}-x', { Name: { Ref: 'Bucket' } }] })).toBe('idrl-videos-x');
    expect(resolve({ 'Fn::Select': [1, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Bucket', 'Arn'] }] }] })).toBe(
      'aws',
    );
  });

  it('chooses Fn::If branches by the template conditions and drops AWS::NoValue', () => {
    expect(resolve({ a: { 'Fn::If': ['IsChina', 'cn', { Ref: 'AWS::NoValue' }] }, b: 1 })).toEqual({ b: 1 });
    expect(resolve([{ 'Fn::If': ['IsChina', { Ref: 'AWS::NoValue' }, 'global'] }])).toEqual(['global']);
  });

  it('refuses a reference the local world has no value for, naming it', () => {
    expect(() => resolve({ Ref: 'UserPool' })).toThrow(
      new UnresolvableError('Ref UserPool: no local value for this resource'),
    );
    expect(() => resolve({ 'Fn::GetAtt': ['Bucket', 'DomainName'] })).toThrow(/Bucket\.DomainName/);
    expect(() => resolve({ 'Fn::Select': [3, ['a']] })).toThrow(UnresolvableError);
    expect(() => resolve({ 'Fn::ImportValue': 'x' })).toThrow(/not supported/);
  });
});
