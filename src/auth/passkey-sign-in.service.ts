import type { EntityManager } from '@mikro-orm/core';
import type { SecurityEvents } from '../observability/security-events.js';
import type { ClientInfo } from './client-info.js';
import type { CompleteSignIn, CompletedSignIn } from './sign-in/complete-sign-in.js';
import type { PasskeyMethod, PasskeyRefusal } from './sign-in/passkey.method.js';

export type PasskeySignInOutcome = CompletedSignIn | PasskeyRefusal;

/** `finishPasskeySignIn`: the passkey method, completed by the one completion step. */
export class PasskeySignInService {
  constructor(
    private readonly method: PasskeyMethod,
    private readonly completion: CompleteSignIn,
    private readonly events: SecurityEvents,
  ) {}

  async finish(em: EntityManager, responseJson: string, client: ClientInfo): Promise<PasskeySignInOutcome> {
    const outcome = await this.completion.run(em, this.method, responseJson, client);
    if (outcome.kind === 'clone-detected') {
      // Besides the refused sign-in: the event its owner and the operators must look at.
      await this.events.record({
        kind: 'passkey_clone_detected',
        result: 'detected',
        userId: outcome.accountId,
        client,
      });
    }
    return outcome;
  }
}
