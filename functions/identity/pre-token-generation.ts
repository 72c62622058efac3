import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';

/** The scope that lets an access token alone call Cognito's self-service API (DeleteUser, UpdateUserAttributes...). */
export const SELF_SERVICE_SCOPE = 'aws.cognito.signin.user.admin';

/**
 * The user pool's pre-token-generation trigger (V2_0, every login and refresh): access tokens leave without
 * the self-service scope, so nobody can delete their Cognito user behind the API's back and leave their tasks,
 * objects and votes orphaned, nor change a password or an attribute outside the API's rules (docs/api.md,
 * "No self-service side door"). The API itself never uses that scope. Nothing is logged: it runs on every login.
 */
export function handler(event: PreTokenGenerationV2TriggerEvent): Promise<PreTokenGenerationV2TriggerEvent> {
  event.response = {
    claimsAndScopeOverrideDetails: { accessTokenGeneration: { scopesToSuppress: [SELF_SERVICE_SCOPE] } },
  };
  return Promise.resolve(event);
}
