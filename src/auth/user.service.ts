import type { EntityManager } from '@mikro-orm/core';
import { User } from '../storage/entities/index.js';

export class UserService {
  async byId(em: EntityManager, id: string): Promise<User | null> {
    return em.findOne(User, { id });
  }
}
