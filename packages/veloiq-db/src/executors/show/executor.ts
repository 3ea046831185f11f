import type { ExecutorContext } from '@nx/devkit';
import { show } from '../../commands/show';
import { runCommand } from '../run-command';
import type { Schema } from './schema';

export default function showExecutor(options: Schema, context: ExecutorContext) {
  return runCommand(show, options, context);
}
