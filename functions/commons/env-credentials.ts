/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles only (an esbuild alias in
 * LAMBDA_BUNDLING; tests and the local stack run the sources and keep the SDK's default chain).
 * Lambda always puts the function role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN, so the chain's SSO, INI, process, web-identity and instance-metadata providers
 * never answer there; with the STS/SSO clients they pull, they are ≈ 120 KiB of every bundle using the SDK. Same export and call
 * shape as the package: the clients' runtime config calls `defaultProvider(clientConfig)`, and
 * `fromNodeProviderChain` (rds-signer) calls `defaultProvider(init)`.
 */
import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';

export function defaultProvider(init: FromEnvInit = {}): ReturnType<typeof fromEnv> {
  return fromEnv(init);
}
