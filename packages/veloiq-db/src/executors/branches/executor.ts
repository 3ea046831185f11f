import type { ExecutorContext } from '@nx/devkit';
import { branches } from '../../commands/branches';
import { runCommand } from '../run-command';
import type { Schema } from './schema';

export default function branchesExecutor(options: Schema, context: ExecutorContext) {
  return runCommand(branches, options, context);
}
