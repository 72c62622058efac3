/**
 * A small validator for AWS service models (the JSON the SDKs are generated from): required members,
 * unknown members, types, enums, numeric and length ranges, patterns, and structure/list/map shapes.
 * Two registry packages carry MediaConvert's model, each with half of what a check needs:
 * - the SDK v3 client `@aws-sdk/client-mediaconvert` (its static schemas, the ones it serializes with):
 *   current member names, types and required members, but no enums, ranges or patterns, and one type
 *   for every number;
 * - Debian `python3-botocore` (`botocore/data/mediaconvert/2017-08-29/service-2.json`, 2022): the full
 *   constraints, but without the members MediaConvert added since.
 * validateOperationInput walks the current structure and applies the full model's constraints wherever
 * it knows the member too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface Shape {
  type?: string;
  shape?: string;
  members?: Record<string, Shape>;
  member?: Shape;
  key?: Shape;
  value?: Shape;
  required?: string[];
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
}

export interface ServiceModel {
  operations: Record<string, { input?: Shape }>;
  shapes: Record<string, Shape>;
}

/** Smithy's scalar schema ids in the SDK v3 clients' static schemas (@smithy/types, schema/sentinels). */
const SCALAR_TYPES: Record<number, string> = {
  0: 'string',
  1: 'double',
  2: 'boolean',
  4: 'timestamp',
  5: 'timestamp',
  6: 'timestamp',
  7: 'timestamp',
  15: 'document',
  17: 'integer',
  19: 'double',
  21: 'blob',
  42: 'blob',
};
/** Bits of a scalar id that make it a list or a map of that scalar. */
const LIST_MODIFIER = 64;
const MAP_MODIFIER = 128;
/** The kinds of static schema (@smithy/types, StaticSchema's first element). */
const SIMPLE = 0;
const LIST = 1;
const MAP = 2;
const STRUCTURE = 3;
const UNION = 4;

/**
 * A reference to a shape, from a reference in the SDK v3 static schemas: a scalar id, a `[ref, traits]`
 * member, a lazy `() => schema`, or a schema (`[kind, namespace, name, traits, …]`), registered in
 * `model.shapes` under its name.
 */
function fromSchema(model: ServiceModel, ref: unknown): Shape {
  const schema: unknown = typeof ref === 'function' ? (ref as () => unknown)() : ref;
  if (typeof schema === 'number') {
    if (schema & LIST_MODIFIER) return { type: 'list', member: fromSchema(model, schema & ~LIST_MODIFIER) };
    if (schema & MAP_MODIFIER)
      return { type: 'map', key: { type: 'string' }, value: fromSchema(model, schema & ~MAP_MODIFIER) };
    const type = SCALAR_TYPES[schema];
    if (type === undefined) throw new Error(`Unknown scalar schema id ${schema}`);
    return { type };
  }
  if (!Array.isArray(schema)) throw new Error(`Not a schema: ${String(schema)}`);
  if (schema.length === 2) return fromSchema(model, schema[0]);
  const [kind, , name] = schema as [number, string, string];
  if (kind === SIMPLE) return fromSchema(model, schema[4]);
  if (model.shapes[name] === undefined) {
    // Registered before its members are read: a shape may contain itself.
    const shape: Shape = {};
    model.shapes[name] = shape;
    if (kind === LIST) Object.assign(shape, { type: 'list', member: fromSchema(model, schema[4]) });
    else if (kind === MAP)
      Object.assign(shape, {
        type: 'map',
        key: fromSchema(model, schema[4]),
        value: fromSchema(model, schema[5]),
      });
    else if (kind === STRUCTURE || kind === UNION) {
      const [names, refs, requiredCount] = schema.slice(4) as [string[], unknown[], number | undefined];
      // Smithy lists a structure's required members first and records how many there are.
      Object.assign(shape, {
        type: 'structure',
        members: Object.fromEntries(names.map((member, index) => [member, fromSchema(model, refs[index])])),
        required: names.slice(0, kind === STRUCTURE ? (requiredCount ?? 0) : 0),
      });
    } else throw new Error(`Schema ${name} is of a kind (${kind}) the validator does not read`);
  }
  return { shape: name };
}

/**
 * The model of one operation's input from an SDK v3 client's static operation schema, e.g.
 * `CreateJob$` of `@aws-sdk/client-mediaconvert`: `[9, namespace, name, traits, input, output]`.
 */
export function loadSdkV3Model(operationSchema: unknown): ServiceModel {
  const [kind, , operation, , input] = operationSchema as [number, string, string, unknown, unknown];
  if (kind !== 9) throw new Error('Not an operation schema');
  const model: ServiceModel = { operations: {}, shapes: {} };
  model.operations[operation] = { input: fromSchema(model, input) };
  return model;
}

/** Where Debian's python3-botocore installs its models. */
export const BOTOCORE_DATA = '/usr/lib/python3/dist-packages/botocore/data';

/** Debian python3-botocore's full model (README: an OS package the tests need). */
export function loadBotocoreModel(service = 'mediaconvert', version = '2017-08-29'): ServiceModel {
  const base = `${BOTOCORE_DATA}/${service}/${version}/service-2.json`;
  // Newer botocore releases ship their models gzipped.
  if (existsSync(`${base}.gz`))
    return JSON.parse(gunzipSync(readFileSync(`${base}.gz`)).toString('utf8')) as ServiceModel;
  if (!existsSync(base))
    throw new Error(`${base} is missing: install Debian's python3-botocore (see README)`);
  return JSON.parse(readFileSync(base, 'utf8')) as ServiceModel;
}

/** A member reference resolved to its shape; a bare member (minified models) is a string. */
function resolve(model: ServiceModel, ref: Shape): Shape {
  if (ref.shape === undefined) return { type: 'string', ...ref };
  const shape = model.shapes[ref.shape];
  if (shape === undefined) throw new Error(`The model has no shape ${ref.shape}`);
  return shape;
}

interface Walk {
  structure: ServiceModel;
  constraints: ServiceModel | undefined;
  errors: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkRange(walk: Walk, path: string, size: number, shapes: Shape[], what: string): void {
  for (const shape of shapes) {
    if (shape.min !== undefined && size < shape.min)
      walk.errors.push(`${path}: ${what} ${size} is below ${shape.min}`);
    if (shape.max !== undefined && size > shape.max)
      walk.errors.push(`${path}: ${what} ${size} is above ${shape.max}`);
  }
}

function checkScalar(walk: Walk, path: string, value: unknown, type: string, shapes: Shape[]): void {
  switch (type) {
    case 'string': {
      if (typeof value !== 'string') {
        walk.errors.push(`${path}: expected a string, got ${JSON.stringify(value)}`);
        return;
      }
      checkRange(walk, path, value.length, shapes, 'length');
      for (const shape of shapes) {
        if (shape.enum !== undefined && !shape.enum.includes(value))
          walk.errors.push(`${path}: "${value}" is not one of ${shape.enum.join(', ')}`);
        if (shape.pattern !== undefined && !new RegExp(shape.pattern, 'u').test(value))
          walk.errors.push(`${path}: "${value}" does not match ${shape.pattern}`);
      }
      return;
    }
    case 'integer':
    case 'long':
      if (!Number.isInteger(value))
        walk.errors.push(`${path}: expected an integer, got ${JSON.stringify(value)}`);
      else checkRange(walk, path, value as number, shapes, 'value');
      return;
    case 'double':
    case 'float':
      if (typeof value !== 'number')
        walk.errors.push(`${path}: expected a number, got ${JSON.stringify(value)}`);
      else checkRange(walk, path, value, shapes, 'value');
      return;
    case 'boolean':
      if (typeof value !== 'boolean')
        walk.errors.push(`${path}: expected a boolean, got ${JSON.stringify(value)}`);
      return;
    default:
      walk.errors.push(`${path}: the validator does not know the type ${type}`);
  }
}

function validate(
  walk: Walk,
  path: string,
  value: unknown,
  ref: Shape,
  constraintRef: Shape | undefined,
): void {
  const shape = resolve(walk.structure, ref);
  const full =
    constraintRef === undefined || walk.constraints === undefined
      ? undefined
      : resolve(walk.constraints, constraintRef);
  const shapes = full === undefined ? [shape] : [shape, full];
  // The v3 schemas have one type for every number; the full model tells integers apart where it knows them.
  const type =
    shape.type === 'double' && (full?.type === 'integer' || full?.type === 'long')
      ? full.type
      : (shape.type ?? 'string');
  switch (type) {
    case 'structure': {
      if (!isRecord(value)) {
        walk.errors.push(`${path}: expected an object`);
        return;
      }
      const members = shape.members ?? {};
      for (const name of new Set([...(shape.required ?? []), ...(full?.required ?? [])]))
        if (value[name] === undefined) walk.errors.push(`${path}.${name}: required`);
      for (const [name, child] of Object.entries(value)) {
        const member = members[name];
        if (member === undefined) walk.errors.push(`${path}.${name}: not a member of this structure`);
        else if (child !== undefined) validate(walk, `${path}.${name}`, child, member, full?.members?.[name]);
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) {
        walk.errors.push(`${path}: expected a list`);
        return;
      }
      checkRange(walk, path, value.length, shapes, 'length');
      value.forEach((item, index) => {
        validate(walk, `${path}[${index}]`, item, shape.member ?? {}, full?.member);
      });
      return;
    }
    case 'map': {
      if (!isRecord(value)) {
        walk.errors.push(`${path}: expected a map`);
        return;
      }
      for (const [key, item] of Object.entries(value)) {
        validate(walk, `${path}{${key}}`, key, shape.key ?? {}, full?.key);
        validate(walk, `${path}.${key}`, item, shape.value ?? {}, full?.value);
      }
      return;
    }
    default:
      checkScalar(walk, path, value, type, shapes);
  }
}

/**
 * Every way `input` breaks the operation's input shape, as `path: problem` lines; [] when it conforms.
 * `structure` decides the members, `constraints` (a fuller model of the same API) adds its rules.
 */
export function validateOperationInput(
  models: { structure: ServiceModel; constraints?: ServiceModel },
  operation: string,
  input: unknown,
): string[] {
  const walk: Walk = { structure: models.structure, constraints: models.constraints, errors: [] };
  const ref = models.structure.operations[operation]?.input;
  if (ref === undefined) throw new Error(`The model has no operation ${operation}`);
  validate(walk, operation, input, ref, models.constraints?.operations[operation]?.input);
  return walk.errors;
}
