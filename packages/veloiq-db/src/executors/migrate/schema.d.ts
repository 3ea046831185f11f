export interface Schema {
  message?: string;
  envFile?: string;
  lockTimeout?: number;
  json?: boolean;
  concurrentIndexes?: boolean;
}
