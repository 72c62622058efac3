/**
 * Local IAM enforcement: every AWS call a local function makes is authenticated (SigV4, with the function's
 * own access key) and authorized against the function role's policies from the synthesized template, plus
 * the resource policies AWS also applies, before it reaches the local service. docs/local-stack.md, "IAM
 * enforcement", says what is and is not evaluated and how to read a denial.
 *
 * API (what the template-derived runtime wires in):
 *
 *   const iam = createIamEnforcer({
 *     location: { region: 'us-east-1', accountId: '000000000000' },
 *     principals: [{ accessKeyId, secretAccessKey, roleArn, functionName, policies: { DefaultPolicy: {...} }, inVpc }],
 *     resourcePolicies: { 'arn:aws:s3:::idrl-videos': bucketPolicy, 'arn:aws:sqs:…:idrl-uploads': queuePolicy },
 *     vpcEndpointPolicies: { s3: gatewayEndpointPolicy },
 *   });
 *   // Enforcement points (each answers a denial in that service's own error shape and logs one line);
 *   // secureTransport: true evaluates aws:SecureTransport as the HTTPS call on AWS would carry it.
 *   startS3Proxy({ iam, upstream: { endpoint, credentials, region }, port, secureTransport: true })
 *     // ./s3-proxy.ts → the functions' S3_ENDPOINT (and the origin of the URLs they presign)
 *   startJsonServiceProxy({ iam, upstream: cognitoEndpoint, port, secureTransport: true })
 *     // ./json-service-proxy.ts → COGNITO_ENDPOINT
 *   startGateway({ …, iam })
 *     // ../gateway.ts: its Lambda Invoke and SQS surfaces call authorizeAwsCall (./aws-call.ts)
 *   startPgGate({ iam, certificate: await ensureGateCertificate(dir), database, upstream }, port)
 *     // ./pg-gate.ts → DB_HOST/DB_PORT, NODE_EXTRA_CA_CERTS = certificate.certPath (rds-db:connect)
 *
 * Each function instance gets its principal's access key id and secret as AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY; policies are plain JSON with intrinsics already resolved to local ARNs and names.
 */
import type { MappedCall } from './s3-requests';
import type { AwsLocation } from './service-requests';
import {
  type ApplicablePolicies,
  type CallerIdentity,
  type Decision,
  type IamRequest,
  type NamedPolicy,
  type PolicyDocument,
  assertSupportedPolicy,
  evaluate,
} from './policy';

export interface LocalPrincipal {
  accessKeyId: string;
  secretAccessKey: string;
  /** `arn:aws:iam::<account>:role/<name>`: the function's execution role. */
  roleArn: string;
  functionName: string;
  /** The role's identity policies by name (inline and managed alike), intrinsics resolved. */
  policies: Readonly<Record<string, PolicyDocument>>;
  /** The function runs in the VPC on AWS: its S3 calls go through the gateway endpoint and its policy. */
  inVpc: boolean;
}

export interface IamEnforcerOptions {
  location: AwsLocation;
  principals: readonly LocalPrincipal[];
  /** Resource policies by the ARN of the resource they are attached to (a bucket's also covers its objects). */
  resourcePolicies?: Readonly<Record<string, PolicyDocument>>;
  /** VPC endpoint policies by service prefix (`s3`), applied to the calls of in-VPC functions. */
  vpcEndpointPolicies?: Readonly<Record<string, PolicyDocument>>;
  /** Where denial lines go. @default console.error */
  log?: (line: string) => void;
  now?: () => Date;
}

export type Authorization =
  | { allowed: true }
  | {
      allowed: false;
      /** The first authorization of the call that failed. */
      request: IamRequest;
      decision: Decision;
      /** AWS's own message: `User: <session> is not authorized to perform: <action> on resource: <arn> …`. */
      message: string;
    };

/** How the call reached the endpoint: becomes `aws:SecureTransport`. */
export interface Transport {
  secure: boolean;
}

export interface IamEnforcer {
  readonly location: AwsLocation;
  now: () => Date;
  secretOf: (accessKeyId: string) => string | undefined;
  principalOf: (accessKeyId: string) => LocalPrincipal | undefined;
  /** Every authorization of the call must be allowed; the first that is not decides, and is logged. */
  authorize(principal: LocalPrincipal, call: MappedCall, transport: Transport): Authorization;
  /** Logs a request refused before authorization (bad signature, unknown key, unmapped request). */
  logRefusal(what: string, reason: string): void;
}

function sessionOf(principal: LocalPrincipal, accountId: string): CallerIdentity {
  const roleName = principal.roleArn.split('/').at(-1) ?? principal.roleArn;
  return {
    accountId,
    roleArn: principal.roleArn,
    sessionArn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${principal.functionName}`,
  };
}

/** AWS's AccessDenied message (the form IAM documents for implicit and explicit denials). */
function accessDeniedMessage(
  caller: CallerIdentity,
  request: IamRequest,
  decision: Decision,
  quoteResource: boolean,
): string {
  const resource = quoteResource ? `"${request.resource}"` : request.resource;
  const head = `User: ${caller.sessionArn} is not authorized to perform: ${request.action} on resource: ${resource}`;
  const kind = decision.deniedBy ?? 'identity-based';
  return decision.decision === 'explicit-deny'
    ? `${head} with an explicit deny in ${kind === 'identity-based' ? 'an' : 'a'} ${kind} policy`
    : `${head} because no ${kind} policy allows the ${request.action} action`;
}

export function createIamEnforcer(options: IamEnforcerOptions): IamEnforcer {
  const { location } = options;
  const log =
    options.log ??
    ((line: string) => {
      console.error(line);
    });
  const byKey = new Map<string, LocalPrincipal>();
  for (const principal of options.principals) {
    if (byKey.has(principal.accessKeyId)) throw new Error(`Two principals share ${principal.accessKeyId}`);
    byKey.set(principal.accessKeyId, principal);
  }
  const roleName = (principal: LocalPrincipal) => principal.roleArn.split('/').at(-1) ?? principal.roleArn;
  const identityPolicies = new Map<LocalPrincipal, NamedPolicy[]>(
    options.principals.map((principal) => [
      principal,
      Object.entries(principal.policies).map(([name, document]) => ({
        name: `${roleName(principal)}/${name}`,
        document,
      })),
    ]),
  );
  const resourcePolicies = Object.entries(options.resourcePolicies ?? {}).map(([arn, document]) => ({
    arn,
    policy: { name: `resource policy of ${arn}`, document },
  }));
  const endpointPolicies = new Map(
    Object.entries(options.vpcEndpointPolicies ?? {}).map(([service, document]) => [
      service,
      { name: `${service} VPC endpoint policy`, document },
    ]),
  );
  for (const policy of [
    ...[...identityPolicies.values()].flat(),
    ...resourcePolicies.map((entry) => entry.policy),
    ...endpointPolicies.values(),
  ])
    assertSupportedPolicy(policy);

  /** The policy attached to the resource: exactly its ARN, or for S3 its bucket's. */
  function resourcePolicyOf(arn: string): NamedPolicy | undefined {
    return resourcePolicies.find(
      (entry) => arn === entry.arn || (arn.startsWith('arn:aws:s3:::') && arn.startsWith(`${entry.arn}/`)),
    )?.policy;
  }

  return {
    location,
    now: () => (options.now ?? (() => new Date()))(),
    secretOf: (accessKeyId) => byKey.get(accessKeyId)?.secretAccessKey,
    principalOf: (accessKeyId) => byKey.get(accessKeyId),
    authorize(principal, call, transport) {
      const caller = sessionOf(principal, location.accountId);
      for (const request of call.requests) {
        const service = request.action.split(':')[0] ?? '';
        const applicable: ApplicablePolicies = {
          identity: identityPolicies.get(principal) ?? [],
          resource: resourcePolicyOf(request.resource),
          vpcEndpoint: principal.inVpc ? endpointPolicies.get(service) : undefined,
        };
        const withGlobals: IamRequest = {
          ...request,
          context: {
            'aws:SecureTransport': String(transport.secure),
            'aws:PrincipalArn': principal.roleArn,
            'aws:PrincipalAccount': location.accountId,
            ...request.context,
          },
        };
        const decision = evaluate(withGlobals, applicable, caller);
        if (decision.decision !== 'allow') {
          log(
            `[iam] AccessDenied ${principal.functionName} (${principal.roleArn}) ${call.operation}: ${request.action} on ${request.resource} — ${decision.decision}, ${decision.reason}`,
          );
          return {
            allowed: false,
            request: withGlobals,
            decision,
            message: accessDeniedMessage(caller, request, decision, service === 's3'),
          };
        }
      }
      return { allowed: true };
    },
    logRefusal(what, reason) {
      log(`[iam] refused ${what}: ${reason}`);
    },
  };
}
