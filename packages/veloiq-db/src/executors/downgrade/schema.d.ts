export interface Schema {
  revision?: string | number;
  sql?: boolean;
  envFile?: string;
  json?: boolean;
  lockTimeout?: number;
  transactionPerMigration?: boolean;
}
