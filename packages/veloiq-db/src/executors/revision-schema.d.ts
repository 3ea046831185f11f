/** Options of the executors that move the database to a revision: upgrade, downgrade, stamp. */
export interface RevisionSchema {
  revision?: string | number;
  sql?: boolean;
  envFile?: string;
  json?: boolean;
  lockTimeout?: number;
  /** stamp only: empty the record first. */
  purge?: boolean;
}
