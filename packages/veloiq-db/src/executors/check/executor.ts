import type { ExecutorContext } from '@nx/devkit';
import { checkOrFail } from '../../commands/check';
import { runCommand } from '../run-command';
import type { Schema } from './schema';

export default function checkExecutor(options: Schema, context: ExecutorContext) {
  return runCommand(checkOrFail, options, context);
}
