import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { UserService } from '../auth/user.service.js';
import type { Context } from '../context.js';
import { requireAuth } from '../context.js';
import { UnauthenticatedError } from '../errors.js';
import { UserType } from '../schema/user.type.js';
import { toUser } from './mappers.js';

@Resolver()
export class UserResolver {
  constructor(private readonly users: UserService) {}

  @Authorized()
  @Query(() => UserType, {
    description: 'The signed-in user; UNAUTHENTICATED error without a live access token.',
  })
  async me(@Ctx() context: Context): Promise<UserType> {
    const auth = requireAuth(context);
    const user = await this.users.profile(() => context.em, auth.userId, auth.cachedProfile);
    if (!user) throw new UnauthenticatedError();
    return toUser(user);
  }
}
