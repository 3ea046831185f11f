export interface Schema {
  json?: boolean;
}
