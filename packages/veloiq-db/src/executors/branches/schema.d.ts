export interface Schema {
  verbose?: boolean;
  envFile?: string;
  json?: boolean;
}
