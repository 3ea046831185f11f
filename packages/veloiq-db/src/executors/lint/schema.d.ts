export interface Schema {
  revision?: string | number;
  exclude?: string[] | string;
  include?: string[] | string;
  envFile?: string;
  json?: boolean;
}
