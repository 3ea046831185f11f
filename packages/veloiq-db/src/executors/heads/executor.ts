import type { ExecutorContext } from '@nx/devkit';
import { heads } from '../../commands/heads';
import { runCommand } from '../run-command';
import type { Schema } from './schema';

export default function headsExecutor(options: Schema, context: ExecutorContext) {
  return runCommand(heads, options, context);
}
