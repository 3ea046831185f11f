import type { ExecutorContext } from '@nx/devkit';
import { downgrade } from '../../commands/downgrade';
import { runCommand } from '../run-command';
import { typedRevision } from '../revision-argument';
import type { Schema } from './schema';

export default function downgradeExecutor(options: Schema, context: ExecutorContext) {
  return runCommand(downgrade, { ...options, revision: typedRevision(options.revision, context) }, context);
}
