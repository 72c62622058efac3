import { describe, expect, it } from 'vitest';
import { migrations } from '#adapters/pg/migrations';

/**
 * What would break the previous release on the newer schema (docs/spec.md §7.5, "Schema changes"): it would still
 * read or write what these remove, rename or tighten. Each pattern is matched against a migration's SQL.
 */
const DESTRUCTIVE: readonly [string, RegExp][] = [
  ['drops a table', /\bDROP\s+TABLE\b/i],
  ['drops a column', /\bDROP\s+COLUMN\b/i],
  ['renames', /\bRENAME\b/i],
  ['changes a column type', /\bALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE\b/i],
  ['makes an existing column NOT NULL', /\bALTER\s+COLUMN\s+\S+\s+SET\s+NOT\s+NULL\b/i],
  ['drops a default', /\bDROP\s+DEFAULT\b/i],
  ['drops a trigger or a function', /\bDROP\s+(TRIGGER|FUNCTION)\b/i],
  ['adds a NOT NULL column without a default', /\bADD\s+COLUMN\s+[^,;]*\bNOT\s+NULL\b(?![^,;]*\bDEFAULT\b)/i],
];

/**
 * Constraints a migration drops only to add a wider one in the same transaction, each read by hand: the previous
 * code's writes all still pass.
 */
const WIDENED_CONSTRAINTS: Readonly<Record<number, string[]>> = {
  // 'deleting' joins the states; the previous code never writes it (migration 3's comment).
  3: ['tasks_status_check'],
};

describe('migrations: expand only, so the previous release runs on the newer schema', () => {
  it.each(migrations.map((migration) => [migration.version, migration.name, migration] as const))(
    '%i (%s) adds without removing, renaming or tightening',
    (_version, _name, migration) => {
      const found = DESTRUCTIVE.filter(([, pattern]) => pattern.test(migration.sql)).map(([what]) => what);
      expect(found).toEqual([]);
    },
  );

  it.each(migrations.map((migration) => [migration.version, migration.name, migration] as const))(
    '%i (%s) drops a constraint only to add a wider one under the same name',
    (_version, _name, migration) => {
      const dropped = [...migration.sql.matchAll(/\bDROP\s+CONSTRAINT\s+(\w+)/gi)].map((match) => match[1]);
      const added = [...migration.sql.matchAll(/\bADD\s+CONSTRAINT\s+(\w+)/gi)].map((match) => match[1]);
      expect(dropped).toEqual(WIDENED_CONSTRAINTS[migration.version] ?? []);
      expect(added).toEqual(expect.arrayContaining(dropped));
    },
  );
});
