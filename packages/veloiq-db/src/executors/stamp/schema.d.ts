export type { RevisionSchema as Schema } from '../revision-schema';
