import type { EntityManager } from '@mikro-orm/core';
import type { ClientInfo } from './client-info.js';
import type { CompleteSignIn, CompletedSignIn } from './sign-in/complete-sign-in.js';
import type { PasswordInput, PasswordMethod, PasswordRefusal } from './sign-in/password.method.js';

export type SignInOutcome = CompletedSignIn | PasswordRefusal;
export type SignInInputData = PasswordInput;

/** `signIn`: the password method, completed by the one completion step. */
export class SignInService {
  constructor(
    private readonly method: PasswordMethod,
    private readonly completion: CompleteSignIn,
  ) {}

  async execute(em: EntityManager, input: SignInInputData, client: ClientInfo): Promise<SignInOutcome> {
    return this.completion.run(em, this.method, input, client);
  }
}
