import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261130000000_initial } from './Migration20261130000000_initial.js';
import { Migration20261130030000_audit } from './Migration20261130030000_audit.js';

/** Every migration, in order. A new migration is added here (and nowhere else). */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261130000000_initial', class: Migration20261130000000_initial },
  { name: 'Migration20261130030000_audit', class: Migration20261130030000_audit },
];
