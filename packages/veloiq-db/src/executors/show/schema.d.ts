export interface Schema {
  revision?: string | number;
  envFile?: string;
  json?: boolean;
}
