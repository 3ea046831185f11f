export interface Schema {
  envFile?: string;
  json?: boolean;
}
