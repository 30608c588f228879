import type { PlintoClient } from '../../../client/src/index.js';
import {
  AdminDeleteUserDocument,
  AdminDisableUserDocument,
  AdminEnableUserDocument,
  AdminResetMfaDocument,
  AdminRevokeSessionsDocument,
  AdminSendPasswordResetDocument,
  AdminUnlockUserDocument,
  AdminUserDocument,
  AdminUsersDocument,
} from '../../../client/generated-admin/graphql.js';
import type {
  AdminUserFieldsFragment,
  AdminUserFilter,
  AdminUserQuery,
  AdminUsersQuery,
} from '../../../client/generated-admin/graphql.js';

/**
 * The admin operations the page runs: the separate admin document set (client/generated-admin),
 * sent through the pages' own PlintoClient (access token in memory, refresh by HttpOnly cookie).
 */

export type AdminUserSummary = AdminUserFieldsFragment;
export type AdminUserDetail = NonNullable<AdminUserQuery['adminUser']>;
export type AdminUserPage = AdminUsersQuery['adminUsers'];

/** What every admin mutation answers, as far as the page cares: done, or a sentence to say. */
export type ActionAnswer = { __typename: string; message?: string };

export type AdminAction =
  'disable' | 'enable' | 'unlock' | 'revoke' | 'reset-mfa' | 'password-reset' | 'delete';

/** The typename of each action's success (anything else carries a message). */
export const DONE: Record<AdminAction, string> = {
  disable: 'AdminUser',
  enable: 'AdminUser',
  unlock: 'AdminUser',
  revoke: 'AdminUser',
  'reset-mfa': 'AdminUser',
  'password-reset': 'AdminUser',
  delete: 'AdminUserDeleted',
};

export class AdminApi {
  constructor(readonly client: PlintoClient) {}

  async users(filter: AdminUserFilter, after: string | null, first = 20): Promise<AdminUserPage> {
    return (await this.client.request(AdminUsersDocument, { filter, first, after })).adminUsers;
  }

  async user(id: string): Promise<AdminUserDetail | null> {
    return (await this.client.request(AdminUserDocument, { id })).adminUser ?? null;
  }

  /** Runs one action on user `id` (`reason` only for disable). */
  async run(action: AdminAction, id: string, reason: string): Promise<ActionAnswer> {
    switch (action) {
      case 'disable':
        return (await this.client.request(AdminDisableUserDocument, { id, reason })).adminDisableUser;
      case 'enable':
        return (await this.client.request(AdminEnableUserDocument, { id })).adminEnableUser;
      case 'unlock':
        return (await this.client.request(AdminUnlockUserDocument, { id })).adminUnlockUser;
      case 'revoke':
        return (await this.client.request(AdminRevokeSessionsDocument, { id })).adminRevokeSessions;
      case 'reset-mfa':
        return (await this.client.request(AdminResetMfaDocument, { id })).adminResetMfa;
      case 'password-reset':
        return (await this.client.request(AdminSendPasswordResetDocument, { id })).adminSendPasswordReset;
      case 'delete':
        return (await this.client.request(AdminDeleteUserDocument, { id })).adminDeleteUser;
    }
  }
}
