import type { ExecutorContext } from '@nx/devkit';
import { downgrade } from '../../commands/downgrade';
import { runCommand } from '../run-command';
import type { Schema } from './schema';

export default function downgradeExecutor(options: Schema, context: ExecutorContext) {
  return runCommand(downgrade, options, context);
}
