export interface ProjectSchema {
  project: string;
  dbName?: string;
}
