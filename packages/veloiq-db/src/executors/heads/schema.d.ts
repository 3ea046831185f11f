export interface Schema {
  verbose?: boolean;
  resolveDependencies?: boolean;
  envFile?: string;
  json?: boolean;
}
