import type { ExecutorContext } from '@nx/devkit';
import { show } from '../../commands/show';
import { runCommand } from '../run-command';
import { typedRevision } from '../revision-argument';
import type { Schema } from './schema';

export default function showExecutor(options: Schema, context: ExecutorContext) {
  return runCommand(show, { ...options, revision: typedRevision(options.revision, context) }, context);
}
