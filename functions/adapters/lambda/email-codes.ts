import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { EmailCodes } from '#core/email-verification';
import { type EmailCodeEvent, issuedCodeResult } from '#core/schemas';
import type { Caller } from '#core/task';
import * as z from '#core/zod';
import { invokeAcross } from '#adapters/lambda/invoke';
import { callerOf } from '#adapters/lambda/task-functions';

/**
 * The verification codes inside the VPC (functions/ops/email-codes.ts), invoked synchronously by the signup and
 * verification routes: a refusal (a wrong code, the resend throttle) comes back as the request error it is.
 */
export class LambdaEmailCodes implements EmailCodes {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  async issue(caller: Caller): Promise<string> {
    const event: EmailCodeEvent = { action: 'issue', caller: callerOf(caller) };
    return (await invokeAcross(this.client, this.functionName, event, issuedCodeResult)).code;
  }

  async check(caller: Caller, code: string): Promise<void> {
    const event: EmailCodeEvent = { action: 'check', caller: callerOf(caller), code };
    await invokeAcross(this.client, this.functionName, event, z.null());
  }

  async markVerified(caller: Caller): Promise<void> {
    const event: EmailCodeEvent = { action: 'mark-verified', caller: callerOf(caller) };
    await invokeAcross(this.client, this.functionName, event, z.null());
  }
}
