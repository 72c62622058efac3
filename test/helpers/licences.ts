/**
 * What licences reach a deployed bundle: the npm packages a bundle was built from (the `sources` of its
 * source map, which esbuild writes even without their contents) and the licence each declares in its
 * package.json. docs/dependencies.md, "Licences".
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** SPDX identifiers (and prefixes) of copyleft licences: strong, weak and network. */
const COPYLEFT =
  /\b(?:A?GPL|LGPL|SSPL|EUPL|MPL|CDDL|EPL|OSL|CPAL|RPL|Sleepycat|CC-BY-SA|CC-BY-NC|GFDL)\b|\bGNU\b/i;

/**
 * Whether an SPDX licence expression obliges whoever deploys the package to copyleft terms: true when
 * every alternative of an `OR` names a copyleft licence (an `AND` binds to all its terms), and for a
 * package that declares no licence at all (unknown terms are not permission).
 */
export function isCopyleft(expression: string | undefined): boolean {
  if (expression === undefined || expression.trim() === '' || /^UNLICENSED$/i.test(expression.trim()))
    return true;
  const alternatives = expression.replace(/[()]/g, ' ').split(/\s+OR\s+/i);
  return alternatives.every((alternative) => COPYLEFT.test(alternative));
}

interface PackageJson {
  name?: string;
  version?: string;
  license?: string | { type?: string };
  licenses?: { type?: string }[];
}

/** The licence expression a package.json declares (the legacy object and array forms included). */
export function declaredLicence(manifest: PackageJson): string | undefined {
  if (typeof manifest.license === 'string') return manifest.license;
  if (manifest.license?.type !== undefined) return manifest.license.type;
  const legacy = (manifest.licenses ?? []).map((entry) => entry.type).filter((type) => type !== undefined);
  return legacy.length > 0 ? `(${legacy.join(' OR ')})` : undefined;
}

/**
 * The package directories, relative to the project root (`node_modules/a/node_modules/@b/c`), that a
 * source map lists files of. Sources outside node_modules are the project's own code.
 */
export function packagesOfSourceMap(mapFile: string): string[] {
  const { sources } = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[] };
  const packages = new Set<string>();
  for (const source of sources) {
    const segments = source.split('/');
    const first = segments.indexOf('node_modules');
    if (first === -1) continue;
    const packagePath: string[] = [];
    for (let index = first; index < segments.length;) {
      if (segments[index] !== 'node_modules') break;
      const scoped = segments[index + 1]?.startsWith('@') === true;
      const length = scoped ? 3 : 2;
      packagePath.push(...segments.slice(index, index + length));
      index += length;
    }
    packages.add(packagePath.join('/'));
  }
  return [...packages].sort();
}

export interface PackageLicence {
  package: string;
  version: string;
  licence: string | undefined;
}

/** Each package's name, version and declared licence, read from `<root>/<dir>/package.json`. */
export function licencesOf(root: string, packageDirs: readonly string[]): PackageLicence[] {
  return packageDirs.map((dir) => {
    const manifest = JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8')) as PackageJson;
    return {
      package: manifest.name ?? dir,
      version: manifest.version ?? '',
      licence: declaredLicence(manifest),
    };
  });
}
