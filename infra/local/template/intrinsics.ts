/**
 * CloudFormation's intrinsic functions, evaluated offline over a synthesized template: the local stack
 * resolves every value the template computes (a function's environment, a policy's resources) against the
 * local world's names, ARNs and URLs, which the caller supplies per logical id. A reference the caller did
 * not supply is an error naming it, never a silent placeholder: the two worlds differ only where the
 * caller says so.
 */

/** What `Ref` and `Fn::GetAtt` yield for one resource in the local world. */
export interface ResolvedResource {
  ref: string;
  attributes?: Readonly<Record<string, string>>;
}

export interface PseudoParameters {
  region: string;
  accountId: string;
  /** @default 'aws' */
  partition?: string;
  /** @default 'amazonaws.com' */
  urlSuffix?: string;
  stackName: string;
}

export interface ResolverContext {
  resources: ReadonlyMap<string, ResolvedResource>;
  pseudo: PseudoParameters;
  /** The template's Conditions section, evaluated on demand for Fn::If. @default {} */
  conditions?: Readonly<Record<string, unknown>>;
  /** Parameters by name (their local values). @default {} */
  parameters?: Readonly<Record<string, string>>;
}

export class UnresolvableError extends Error {}

/** The marker Fn::If yields for AWS::NoValue: the property or list element is removed. */
const NO_VALUE = Symbol('AWS::NoValue');

function pseudoValue(name: string, pseudo: PseudoParameters): string | undefined {
  switch (name) {
    case 'AWS::Region':
      return pseudo.region;
    case 'AWS::AccountId':
      return pseudo.accountId;
    case 'AWS::Partition':
      return pseudo.partition ?? 'aws';
    case 'AWS::URLSuffix':
      return pseudo.urlSuffix ?? 'amazonaws.com';
    case 'AWS::StackName':
      return pseudo.stackName;
    case 'AWS::StackId':
      return `arn:${pseudo.partition ?? 'aws'}:cloudformation:${pseudo.region}:${pseudo.accountId}:stack/${pseudo.stackName}/local`;
    default:
      return undefined;
  }
}

function asString(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new UnresolvableError(`${where} needs a string, got ${JSON.stringify(value)}`);
}

function asArray(value: unknown, where: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw new UnresolvableError(`${where} needs a list, got ${JSON.stringify(value)}`);
}

export function createResolver(context: ResolverContext): (value: unknown) => unknown {
  const conditionCache = new Map<string, boolean>();

  function ref(name: string): string {
    const pseudo = pseudoValue(name, context.pseudo);
    if (pseudo !== undefined) return pseudo;
    const parameter = context.parameters?.[name];
    if (parameter !== undefined) return parameter;
    const resource = context.resources.get(name);
    if (resource === undefined) throw new UnresolvableError(`Ref ${name}: no local value for this resource`);
    return resource.ref;
  }

  function getAtt(id: string, attribute: string): string {
    const value = context.resources.get(id)?.attributes?.[attribute];
    if (value === undefined)
      throw new UnresolvableError(`Fn::GetAtt ${id}.${attribute}: no local value for this attribute`);
    return value;
  }

  function condition(name: string): boolean {
    const cached = conditionCache.get(name);
    if (cached !== undefined) return cached;
    const definition = context.conditions?.[name];
    if (definition === undefined) throw new UnresolvableError(`Condition ${name} is not defined`);
    const result = truth(definition, `Condition ${name}`);
    conditionCache.set(name, result);
    return result;
  }

  function truth(value: unknown, where: string): boolean {
    if (typeof value === 'boolean') return value;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const [name, argument] = Object.entries(value)[0] ?? [];
      if (name === 'Condition') return condition(asString(argument, where));
      if (name === 'Fn::Equals') {
        const [a, b] = asArray(argument, where).map((item) => resolve(item));
        return JSON.stringify(a) === JSON.stringify(b);
      }
      if (name === 'Fn::Not') return !truth(asArray(argument, where)[0], where);
      if (name === 'Fn::And') return asArray(argument, where).every((item) => truth(item, where));
      if (name === 'Fn::Or') return asArray(argument, where).some((item) => truth(item, where));
    }
    throw new UnresolvableError(`${where}: not a condition: ${JSON.stringify(value)}`);
  }

  /** `${Name}`, `${Id.Attribute}` and `${!Literal}` of Fn::Sub. */
  function substitute(template: string, variables: Record<string, unknown>): string {
    return template.replace(/\$\{([^}]*)\}/g, (_match, body: string) => {
      if (body.startsWith('!')) return `\${${body.slice(1)}}`;
      if (body in variables) return asString(resolve(variables[body]), `Fn::Sub \${${body}}`);
      const dot = body.indexOf('.');
      return dot > 0 && !body.startsWith('AWS::')
        ? getAtt(body.slice(0, dot), body.slice(dot + 1))
        : ref(body);
    });
  }

  function intrinsic(name: string, argument: unknown): unknown {
    switch (name) {
      case 'Ref':
        return ref(asString(argument, 'Ref'));
      case 'Fn::GetAtt': {
        const [id, attribute] =
          typeof argument === 'string'
            ? [argument.slice(0, argument.indexOf('.')), argument.slice(argument.indexOf('.') + 1)]
            : asArray(argument, 'Fn::GetAtt').map((part) => asString(resolve(part), 'Fn::GetAtt'));
        return getAtt(id ?? '', attribute ?? '');
      }
      case 'Fn::Join': {
        const [separator, list] = asArray(argument, 'Fn::Join');
        return asArray(resolve(list), 'Fn::Join')
          .map((item) => asString(item, 'Fn::Join'))
          .join(asString(separator, 'Fn::Join'));
      }
      case 'Fn::Sub': {
        if (typeof argument === 'string') return substitute(argument, {});
        const [template, variables] = asArray(argument, 'Fn::Sub');
        return substitute(asString(template, 'Fn::Sub'), (variables ?? {}) as Record<string, unknown>);
      }
      case 'Fn::Select': {
        const [index, list] = asArray(argument, 'Fn::Select');
        const items = asArray(resolve(list), 'Fn::Select');
        const position = Number(resolve(index));
        if (!Number.isInteger(position) || position < 0 || position >= items.length)
          throw new UnresolvableError(`Fn::Select index ${String(index)} is out of range`);
        return items[position];
      }
      case 'Fn::Split': {
        const [separator, source] = asArray(argument, 'Fn::Split');
        return asString(resolve(source), 'Fn::Split').split(asString(separator, 'Fn::Split'));
      }
      case 'Fn::If': {
        const [conditionName, whenTrue, whenFalse] = asArray(argument, 'Fn::If');
        return resolve(condition(asString(conditionName, 'Fn::If')) ? whenTrue : whenFalse);
      }
      case 'Fn::Base64':
        return Buffer.from(asString(resolve(argument), 'Fn::Base64')).toString('base64');
      default:
        throw new UnresolvableError(`${name} is not supported by the local resolver`);
    }
  }

  function resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => resolve(item)).filter((item) => item !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const [only] = entries;
    if (entries.length === 1 && only !== undefined) {
      const [name, argument] = only;
      if (name === 'Ref' && argument === 'AWS::NoValue') return NO_VALUE;
      if (name === 'Ref' || name.startsWith('Fn::')) return intrinsic(name, argument);
    }
    const resolved: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const result = resolve(item);
      if (result !== NO_VALUE) resolved[key] = result;
    }
    return resolved;
  }

  return (value) => {
    const result = resolve(value);
    return result === NO_VALUE ? undefined : result;
  };
}

/** Resolves a map of values that must all become strings (a function's environment). */
export function resolveStrings(
  resolve: (value: unknown) => unknown,
  values: Readonly<Record<string, unknown>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, asString(resolve(value), name)]),
  );
}
