import { Field, ID, ObjectType } from 'type-graphql';
import { DateTimeScalar } from './scalars.js';

@ObjectType('User')
export class UserType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  email!: string;

  @Field(() => Boolean)
  emailVerified!: boolean;

  @Field(() => Boolean)
  mfaEnabled!: boolean;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => [String], {
    description:
      'Roles (`admin` is built in; others are application-defined). Also the `roles` access-token claim.',
  })
  roles!: string[];
}
