import { Field, ID, ObjectType } from 'type-graphql';
import { DateTimeScalar } from './scalars.js';

@ObjectType('SocialProvider', { description: 'A configured social sign-in provider (for buttons).' })
export class SocialProviderType {
  @Field(() => String)
  id!: string;

  @Field(() => String)
  name!: string;
}

@ObjectType('SocialAuthorization', {
  description:
    "Navigate to authorizationUrl; the provider returns to Plinto's callback, which redirects to redirectTo with #code=… (completeSocialSignIn), #link_code=… (completeLinkIdentity) or #error=…. Keep `binding`: the code is redeemed only with it.",
})
export class SocialAuthorization {
  @Field(() => String)
  authorizationUrl!: string;

  @Field(() => String, {
    description:
      'Keep this where only the party that began can read it (page script memory or sessionStorage, native app memory) and pass it with the code: a callback or code delivered to another browser or app is refused.',
  })
  binding!: string;

  @Field(() => DateTimeScalar, { description: 'The sign-in must come back before this (10 minutes).' })
  expiresAt!: Date;
}

@ObjectType('Identity', { description: 'A linked social sign-in account.' })
export class IdentityType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "The provider's id, as in socialProviders." })
  provider!: string;

  @Field(() => String)
  providerName!: string;

  @Field(() => String, { nullable: true, description: 'The email as the provider last gave it.' })
  email!: string | null;

  @Field(() => Boolean, { description: 'Whether the provider said the email is verified.' })
  emailVerified!: boolean;

  @Field(() => DateTimeScalar)
  linkedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  lastUsedAt!: Date | null;
}

@ObjectType('IdentityLinked')
export class IdentityLinked {
  @Field(() => String, { description: "The linked provider's id." })
  provider!: string;

  @Field(() => [IdentityType], { description: 'The identities now linked.' })
  identities!: IdentityType[];
}

@ObjectType('IdentityUnlinked')
export class IdentityUnlinked {
  @Field(() => [IdentityType], { description: 'The identities still linked.' })
  identities!: IdentityType[];
}
