export interface Schema {
  message?: string;
  head?: string;
  branchLabel?: string;
  envFile?: string;
  lockTimeout?: number;
  json?: boolean;
  concurrentIndexes?: boolean;
}
