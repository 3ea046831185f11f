import type { ExecutorContext } from '@nx/devkit';
import { lint } from '../../commands/lint';
import { runCommand } from '../run-command';
import type { Schema } from './schema';

export default function lintExecutor(options: Schema, context: ExecutorContext) {
  return runCommand(lint, options, context);
}
