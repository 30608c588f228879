import { Field, ObjectType } from 'type-graphql';
import { DateTimeScalar } from './scalars.js';

@ObjectType('AuthTokens')
export class AuthTokensType {
  @Field(() => String)
  accessToken!: string;

  @Field(() => DateTimeScalar)
  accessTokenExpiresAt!: Date;

  @Field(() => String, {
    nullable: true,
    description: 'null when it was delivered as an HttpOnly cookie instead',
  })
  refreshToken!: string | null;

  @Field(() => DateTimeScalar)
  refreshTokenExpiresAt!: Date;

  @Field(() => String)
  tokenType!: string;
}
