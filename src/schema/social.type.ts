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
    "Navigate to authorizationUrl; the provider returns to Plinto's callback, which redirects to redirectTo with #code=… (completeSocialSignIn), #linked=… or #error=….",
})
export class SocialAuthorization {
  @Field(() => String)
  authorizationUrl!: string;

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

@ObjectType('IdentityUnlinked')
export class IdentityUnlinked {
  @Field(() => [IdentityType], { description: 'The identities still linked.' })
  identities!: IdentityType[];
}
