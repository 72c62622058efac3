import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { declaredLicence, isCopyleft, packagesOfSourceMap } from '#test/helpers/licences';

describe('isCopyleft', () => {
  it.each([
    'MIT',
    'Apache-2.0',
    'ISC',
    'BSD-3-Clause',
    '0BSD',
    'MIT-0',
    '(MIT OR Apache-2.0)',
    'Apache-2.0 AND MIT',
  ])('lets the permissive %s through', (licence) => {
    expect(isCopyleft(licence)).toBe(false);
  });

  it.each([
    'GPL-2.0-or-later',
    'LGPL-3.0-only',
    'AGPL-3.0',
    'MPL-2.0',
    'SSPL-1.0',
    'EUPL-1.2',
    'MIT AND GPL-3.0-only',
    '(GPL-2.0 OR LGPL-2.1)',
  ])('flags %s', (licence) => {
    expect(isCopyleft(licence)).toBe(true);
  });

  it('accepts a dual licence with a permissive alternative, which the deployer may choose', () => {
    expect(isCopyleft('(MIT OR GPL-3.0-or-later)')).toBe(false);
  });

  it('flags a package that declares no licence: unknown terms are no permission', () => {
    expect([isCopyleft(undefined), isCopyleft(''), isCopyleft('UNLICENSED')]).toEqual([true, true, true]);
  });
});

describe('declaredLicence', () => {
  it('reads the SPDX string, the legacy object and the legacy array', () => {
    expect([
      declaredLicence({ license: 'MIT' }),
      declaredLicence({ license: { type: 'ISC' } }),
      declaredLicence({ licenses: [{ type: 'MIT' }, { type: 'Apache-2.0' }] }),
      declaredLicence({}),
    ]).toEqual(['MIT', 'ISC', '(MIT OR Apache-2.0)', undefined]);
  });
});

describe('packagesOfSourceMap', () => {
  it('names each package a bundle was built from, scoped and nested ones included, and not our own files', () => {
    // Prepare
    const dir = mkdtempSync(path.join(tmpdir(), 'idrl-licences-'));
    const mapFile = path.join(dir, 'index.mjs.map');
    writeFileSync(
      mapFile,
      JSON.stringify({
        version: 3,
        sources: [
          '../../../work/project/functions/api/login.ts',
          '../../../work/project/node_modules/pg/lib/client.js',
          '../../../work/project/node_modules/pg/lib/query.js',
          '../../../work/project/node_modules/@aws-sdk/client-s3/dist-es/index.js',
          '../../../work/project/node_modules/a/node_modules/@b/c/index.js',
        ],
        mappings: '',
      }),
    );

    // Act
    const packages = packagesOfSourceMap(mapFile);
    rmSync(dir, { recursive: true, force: true });

    // Assess
    expect(packages).toEqual([
      'node_modules/@aws-sdk/client-s3',
      'node_modules/a/node_modules/@b/c',
      'node_modules/pg',
    ]);
  });
});
