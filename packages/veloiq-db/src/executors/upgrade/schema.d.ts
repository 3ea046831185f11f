import type { RevisionSchema } from '../revision-schema';

export interface Schema extends RevisionSchema {
  transactionPerMigration?: boolean;
}
