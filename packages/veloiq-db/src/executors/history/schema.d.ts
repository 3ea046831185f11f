export interface Schema {
  verbose?: boolean;
  indicateCurrent?: boolean;
  envFile?: string;
  json?: boolean;
  revRange?: string;
}
