export interface Schema {
  envFile?: string;
  json?: boolean;
  revRange?: string;
}
