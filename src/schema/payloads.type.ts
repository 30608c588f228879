import { Field, Int, ObjectType } from 'type-graphql';
import { AuthTokensType } from './auth-tokens.type.js';
import { DateTimeScalar } from './scalars.js';
import { SessionType } from './session.type.js';
import { UserType } from './user.type.js';

@ObjectType('SignInSuccess')
export class SignInSuccess {
  @Field(() => UserType)
  user!: UserType;

  @Field(() => SessionType)
  session!: SessionType;

  @Field(() => AuthTokensType)
  tokens!: AuthTokensType;
}

@ObjectType('MfaChallenge', { description: 'A second factor is needed; finish with completeMfaSignIn.' })
export class MfaChallenge {
  @Field(() => String)
  challengeToken!: string;

  @Field(() => DateTimeScalar)
  expiresAt!: Date;
}

@ObjectType('VerificationRequired', {
  description: 'Sign-up accepted; the rest happens through the email that was sent.',
})
export class VerificationRequired {
  @Field(() => String)
  email!: string;
}

@ObjectType('PasswordChanged')
export class PasswordChanged {
  @Field(() => Int)
  signedOutSessions!: number;
}

@ObjectType('RecoveryCodes')
export class RecoveryCodes {
  @Field(() => [String])
  codes!: string[];
}

@ObjectType('TotpEnrollment')
export class TotpEnrollment {
  @Field(() => String)
  secret!: string;

  @Field(() => String)
  otpauthUri!: string;
}

// Account integrity (issue 17): step-up payloads.

@ObjectType('Reauthenticated', {
  description: "A new access token whose auth_time is now: the session's step-up is fresh.",
})
export class Reauthenticated {
  @Field(() => String)
  accessToken!: string;

  @Field(() => DateTimeScalar)
  accessTokenExpiresAt!: Date;

  @Field(() => DateTimeScalar, { description: "The new authentication time (the token's auth_time)." })
  authTime!: Date;
}
