import type { ExecutorContext } from '@nx/devkit';
import { generate } from '../../commands/generate';
import { runCommand } from '../run-command';
import type { Schema } from './schema';

export default function generateExecutor(options: Schema, context: ExecutorContext) {
  return runCommand(generate, options, context);
}
