export interface Schema {
  message?: string;
  revisions?: string;
  envFile?: string;
  json?: boolean;
}
