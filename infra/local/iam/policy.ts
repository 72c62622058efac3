/**
 * IAM policy evaluation for the local stack: the subset of the policy language the template uses, with AWS's
 * rules for a request inside one account (docs/local-stack.md, "IAM enforcement"):
 *
 * - an explicit Deny in any policy wins;
 * - a VPC endpoint policy, when the call goes through one, must also allow (it never grants on its own);
 * - otherwise an Allow in the identity policies OR in the resource policy suffices;
 * - nothing allows → implicit deny.
 *
 * Statements: Effect, Action/NotAction, Resource/NotResource, Principal (resource and endpoint policies) and
 * Condition with the operators of `BASE_OPERATORS`, their `IfExists` forms and the `ForAnyValue:` /
 * `ForAllValues:` qualifiers. A policy with anything else (NotPrincipal, policy variables, numeric or date
 * operators…) is refused by `assertSupportedPolicy` when it is loaded, so nothing is silently mis-evaluated.
 */

export type ContextValue = string | readonly string[];

/** One authorization AWS makes for an API call: the action, the resource ARN and the request context keys. */
export interface IamRequest {
  action: string;
  resource: string;
  /** Context keys as AWS supplies them for this action; a key that is absent here is absent on AWS. */
  context: Readonly<Record<string, ContextValue>>;
}

type OneOrMany<T> = T | readonly T[];

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: OneOrMany<string>;
  NotAction?: OneOrMany<string>;
  Resource?: OneOrMany<string>;
  NotResource?: OneOrMany<string>;
  Principal?: '*' | Readonly<Record<string, OneOrMany<string>>>;
  Condition?: Readonly<Record<string, Readonly<Record<string, OneOrMany<string | boolean>>>>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: OneOrMany<Statement>;
}

/** A policy as the logs name it: `<role>/<policy name>`, `bucket policy of <bucket>`, … */
export interface NamedPolicy {
  name: string;
  document: PolicyDocument;
}

/** The policies that apply to one call, by the part they play in AWS's evaluation. */
export interface ApplicablePolicies {
  identity: readonly NamedPolicy[];
  /** The resource's own policy (bucket policy, queue policy), if it has one. */
  resource?: NamedPolicy;
  /** The VPC endpoint's policy when the call goes through an endpoint (an in-VPC function's S3 call). */
  vpcEndpoint?: NamedPolicy;
}

/** Who makes the call: the role and the session ARN AWS shows in error messages. */
export interface CallerIdentity {
  accountId: string;
  roleArn: string;
  /** `arn:aws:sts::<account>:assumed-role/<role name>/<session>`: the "User:" of AWS's AccessDenied message. */
  sessionArn: string;
}

export type PolicyKind = 'identity-based' | 'resource-based' | 'VPC endpoint';

export interface Decision {
  decision: 'allow' | 'explicit-deny' | 'implicit-deny';
  /** The statement that allowed or explicitly denied; undefined for an implicit deny. */
  statement?: { policy: string; kind: PolicyKind; index: number; sid?: string };
  /** For a deny: the policy type that missed or denied (AWS's message names it). */
  deniedBy?: PolicyKind;
  reason: string;
}

const BASE_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Bool',
  'Null',
] as const;
/** Every operator the evaluator knows (the template uses Bool, ArnLike, StringLike and StringEquals). */
type BaseOperator = (typeof BASE_OPERATORS)[number];

const NEGATED: ReadonlySet<BaseOperator> = new Set([
  'StringNotEquals',
  'StringNotEqualsIgnoreCase',
  'StringNotLike',
  'ArnNotEquals',
  'ArnNotLike',
]);

interface ParsedOperator {
  base: BaseOperator;
  ifExists: boolean;
  set?: 'ForAnyValue' | 'ForAllValues';
}

function parseOperator(operator: string): ParsedOperator | undefined {
  const parsed = /^(?:(ForAnyValue|ForAllValues):)?([A-Za-z]+?)(IfExists)?$/.exec(operator);
  const base = BASE_OPERATORS.find((candidate) => candidate === parsed?.[2]);
  if (parsed === null || base === undefined) return undefined;
  const [, set, , ifExists] = parsed;
  // Null tests presence itself: neither IfExists nor a set qualifier means anything for it.
  if (base === 'Null' && (ifExists !== undefined || set !== undefined)) return undefined;
  return {
    base,
    ifExists: ifExists !== undefined,
    ...(set === 'ForAnyValue' || set === 'ForAllValues' ? { set } : {}),
  };
}

function list<T>(value: OneOrMany<T> | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

function statementsOf(document: PolicyDocument): readonly Statement[] {
  return list(document.Statement);
}

const globCache = new Map<string, RegExp>();

/** IAM's wildcards: `*` any run of characters, `?` any one character; everything else literal. */
function glob(pattern: string, flags = ''): RegExp {
  const cacheKey = `${flags}:${pattern}`;
  let regex = globCache.get(cacheKey);
  if (regex === undefined) {
    const body = pattern
      .split('')
      .map((char) =>
        char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'),
      )
      .join('');
    regex = new RegExp(`^${body}$`, `s${flags}`);
    globCache.set(cacheKey, regex);
  }
  return regex;
}

/** Action names are case-insensitive (`s3:getobject` is `s3:GetObject`). */
function actionMatches(pattern: string, action: string): boolean {
  return glob(pattern, 'i').test(action);
}

/**
 * ARNs are compared component by component (partition, service, region, account, resource), so a wildcard in
 * one component never spans a colon into the next; the resource part keeps its own colons and slashes.
 */
function arnMatches(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const split = (value: string): string[] => {
    const parts = value.split(':');
    return [...parts.slice(0, 5), parts.slice(5).join(':')];
  };
  const patternParts = split(pattern);
  const arnParts = split(arn);
  if (patternParts.length !== 6 || arn.split(':').length < 6) return false;
  return patternParts.every((part, index) => glob(part).test(arnParts[index] ?? ''));
}

function valueMatches(base: BaseOperator, policyValue: string, contextValue: string): boolean {
  switch (base) {
    case 'StringEquals':
    case 'StringNotEquals':
      return policyValue === contextValue;
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return policyValue.toLowerCase() === contextValue.toLowerCase();
    case 'StringLike':
    case 'StringNotLike':
      return glob(policyValue).test(contextValue);
    case 'ArnEquals':
    case 'ArnNotEquals':
    case 'ArnLike':
    case 'ArnNotLike':
      return arnMatches(policyValue, contextValue);
    case 'Bool':
      return policyValue.toLowerCase() === contextValue.toLowerCase();
    case 'Null':
      throw new Error('Null is decided on presence, not on values');
  }
}

/** One `operator: { key: values }` pair against the request context (AWS's documented absent-key rules). */
function conditionHolds(
  operator: ParsedOperator,
  key: string,
  policyValues: readonly string[],
  context: Readonly<Record<string, ContextValue>>,
): boolean {
  const present = Object.hasOwn(context, key);
  if (operator.base === 'Null') {
    // "true": the key must be absent; "false": present.
    return policyValues.some((value) => (value.toLowerCase() === 'true') === !present);
  }
  const negated = NEGATED.has(operator.base);
  const raw = present ? context[key] : undefined;
  const contextValues = raw === undefined ? [] : list<string>(raw);
  const anyMatch = (value: string): boolean =>
    policyValues.some((policyValue) => valueMatches(operator.base, policyValue, value));
  if (operator.set === 'ForAllValues') {
    // Vacuously true for an absent or empty key, as AWS documents.
    return contextValues.every((value) => (negated ? !anyMatch(value) : anyMatch(value)));
  }
  if (operator.set === 'ForAnyValue') {
    if (contextValues.length === 0) return false;
    return contextValues.some((value) => (negated ? !anyMatch(value) : anyMatch(value)));
  }
  if (!present) return operator.ifExists || negated;
  // Several values in the policy are ORed; a negated operator is their NOR.
  const matched = contextValues.some(anyMatch);
  return negated ? !matched : matched;
}

function conditionsHold(statement: Statement, context: Readonly<Record<string, ContextValue>>): boolean {
  return Object.entries(statement.Condition ?? {}).every(([operatorName, keys]) => {
    const operator = parseOperator(operatorName);
    if (operator === undefined) throw new Error(`Unsupported condition operator ${operatorName}`);
    return Object.entries(keys).every(([key, values]) =>
      conditionHolds(
        operator,
        key,
        list(values).map((value) => String(value)),
        context,
      ),
    );
  });
}

type PrincipalMatch = 'caller' | 'account' | 'none';

/**
 * Who a resource or endpoint policy statement names. `*` and the caller's role name the caller; the account
 * (`arn:…:root` or the bare id) names every principal of the account, which for an Allow only delegates to
 * the identity policies (it grants nothing by itself) but for a Deny denies them all.
 */
function principalMatch(statement: Statement, caller: CallerIdentity): PrincipalMatch {
  const principal = statement.Principal;
  if (principal === undefined) return 'none';
  if (principal === '*') return 'caller';
  let match: PrincipalMatch = 'none';
  for (const value of list(principal.AWS)) {
    if (value === '*' || value === caller.roleArn || value === caller.sessionArn) return 'caller';
    if (value === caller.accountId || value === `arn:aws:iam::${caller.accountId}:root`) match = 'account';
  }
  return match;
}

function statementApplies(statement: Statement, request: IamRequest): boolean {
  const actionMatched =
    statement.NotAction === undefined
      ? list(statement.Action).some((pattern) => actionMatches(pattern, request.action))
      : !list(statement.NotAction).some((pattern) => actionMatches(pattern, request.action));
  if (!actionMatched) return false;
  const resourceMatched =
    statement.NotResource === undefined
      ? list(statement.Resource).some((pattern) => arnMatches(pattern, request.resource))
      : !list(statement.NotResource).some((pattern) => arnMatches(pattern, request.resource));
  return resourceMatched && conditionsHold(statement, request.context);
}

interface Match {
  policy: NamedPolicy;
  kind: PolicyKind;
  index: number;
  statement: Statement;
}

function matches(
  kind: PolicyKind,
  policies: readonly NamedPolicy[],
  request: IamRequest,
  caller: CallerIdentity,
): { allows: Match[]; denies: Match[] } {
  const allows: Match[] = [];
  const denies: Match[] = [];
  for (const policy of policies) {
    statementsOf(policy.document).forEach((statement, index) => {
      if (kind !== 'identity-based') {
        const who = principalMatch(statement, caller);
        if (who === 'none' || (who === 'account' && statement.Effect === 'Allow')) return;
      }
      if (!statementApplies(statement, request)) return;
      (statement.Effect === 'Deny' ? denies : allows).push({ policy, kind, index, statement });
    });
  }
  return { allows, denies };
}

function describe(match: Match): NonNullable<Decision['statement']> {
  return {
    policy: match.policy.name,
    kind: match.kind,
    index: match.index,
    ...(match.statement.Sid === undefined ? {} : { sid: match.statement.Sid }),
  };
}

function statementLabel(match: Match): string {
  return `${match.policy.name} statement ${match.statement.Sid ?? `#${match.index}`}`;
}

/** AWS's same-account decision for one request (see the module comment for the rules). */
export function evaluate(
  request: IamRequest,
  policies: ApplicablePolicies,
  caller: CallerIdentity,
): Decision {
  const identity = matches('identity-based', policies.identity, request, caller);
  const resource = matches('resource-based', policies.resource ? [policies.resource] : [], request, caller);
  const endpoint = matches(
    'VPC endpoint',
    policies.vpcEndpoint ? [policies.vpcEndpoint] : [],
    request,
    caller,
  );
  const deny = [...identity.denies, ...resource.denies, ...endpoint.denies][0];
  if (deny !== undefined) {
    return {
      decision: 'explicit-deny',
      statement: describe(deny),
      deniedBy: deny.kind,
      reason: `explicitly denied by ${statementLabel(deny)}`,
    };
  }
  if (policies.vpcEndpoint !== undefined && endpoint.allows.length === 0) {
    return {
      decision: 'implicit-deny',
      deniedBy: 'VPC endpoint',
      reason: `no statement of ${policies.vpcEndpoint.name} allows it`,
    };
  }
  const allow = identity.allows[0] ?? resource.allows[0];
  if (allow !== undefined)
    return { decision: 'allow', statement: describe(allow), reason: `allowed by ${statementLabel(allow)}` };
  const searched = [...policies.identity, ...(policies.resource ? [policies.resource] : [])]
    .map((policy) => policy.name)
    .join(', ');
  return {
    decision: 'implicit-deny',
    deniedBy: 'identity-based',
    reason: `no statement allows it in ${searched === '' ? 'any policy (the role has none)' : searched}`,
  };
}

/**
 * Refuses a policy that uses something this evaluator does not implement, so the local stack fails at start
 * instead of deciding wrongly. Called on every policy the enforcer is given.
 */
export function assertSupportedPolicy(policy: NamedPolicy): void {
  const known = new Set([
    'Sid',
    'Effect',
    'Action',
    'NotAction',
    'Resource',
    'NotResource',
    'Principal',
    'Condition',
  ]);
  statementsOf(policy.document).forEach((statement, index) => {
    const where = `${policy.name} statement ${statement.Sid ?? `#${index}`}`;
    for (const element of Object.keys(statement))
      if (!known.has(element))
        throw new Error(`${where}: the local IAM evaluator does not support ${element}`);
    // Policies come from the template as JSON: the type promises what this checks.
    const effect: string = statement.Effect;
    if (effect !== 'Allow' && effect !== 'Deny') throw new Error(`${where}: Effect must be Allow or Deny`);
    if ((statement.Action === undefined) === (statement.NotAction === undefined))
      throw new Error(`${where}: exactly one of Action and NotAction`);
    if ((statement.Resource === undefined) === (statement.NotResource === undefined))
      throw new Error(`${where}: exactly one of Resource and NotResource`);
    if (JSON.stringify(statement).includes('${'))
      throw new Error(`${where}: policy variables are not supported (the template uses none)`);
    for (const operator of Object.keys(statement.Condition ?? {}))
      if (parseOperator(operator) === undefined)
        throw new Error(
          `${where}: the local IAM evaluator does not support the condition operator ${operator}`,
        );
  });
}
