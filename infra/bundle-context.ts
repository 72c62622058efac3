/**
 * Context key set only by the local stack's synth cache (infra/local/template/synth.ts): a hash of every input a
 * bundle is built from. With it each bundle's asset hash is that key and the function's entry (a CUSTOM hash, known
 * before bundling), so a synth of another configuration of the same sources finds the bundle already staged and
 * skips esbuild. `cdk deploy` never sets it: deployed assets keep CDK's output hash, so a deploy updates only the
 * functions whose bundle changed.
 */
export const LOCAL_BUNDLE_INPUTS_CONTEXT = 'localBundleInputs';
