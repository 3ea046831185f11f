export interface Schema {
  message?: string;
  envFile?: string;
  json?: boolean;
}
