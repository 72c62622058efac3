/**
 * Global setup of the vitest `infra` project: one directory for every app the tests synthesize
 * (test/infra/synth.ts `assemblyDir`), removed after the run. An App without an outdir makes its own
 * `cdk.out*` in the system's temp directory and nothing removes it (about 1 MB per synth, hundreds per run).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ASSEMBLIES_ENV = 'IDRL_TEST_ASSEMBLIES';

export default function setup(): () => void {
  const root = mkdtempSync(path.join(tmpdir(), 'idrl-assemblies-'));
  // The test workers start after global setup and inherit its environment.
  process.env[ASSEMBLIES_ENV] = root;
  return () => {
    rmSync(root, { recursive: true, force: true });
  };
}
