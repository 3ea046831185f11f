import type { ExecutorContext } from '@nx/devkit';
import { history } from '../../commands/history';
import { runCommand } from '../run-command';
import type { Schema } from './schema';

export default function historyExecutor(options: Schema, context: ExecutorContext) {
  return runCommand(history, options, context);
}
