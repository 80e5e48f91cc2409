/** CLI plumbing shared by the commands: where output goes and how failures end the process. */
import { InvalidArgumentError } from 'commander';
import { GatehouseError, isGatehouseError } from '../core/errors.js';

export const DEFAULT_CONFIG = 'gatehouse.yaml';

export function configPath(opt: string | undefined): string {
  return opt ?? process.env.GATEHOUSE_CONFIG ?? DEFAULT_CONFIG;
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function fail(message: string, exitCode = 1): never {
  process.stderr.write(`gatehouse: ${message}\n`);
  process.exit(exitCode);
}

/** Runs a command body; known errors print their code and message, unknown ones a stack. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await fn(...args);
      if (typeof code === 'number' && code !== 0) process.exitCode = code;
    } catch (e) {
      if (isGatehouseError(e)) fail(`${e.message} [${e.code}]`);
      throw e;
    }
  };
}

export function usage(message: string): never {
  throw new GatehouseError('usage', message);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** commander argument parser for `--log-level`: pino's level names. */
export function logLevel(v: string): string {
  if (!LOG_LEVELS.includes(v)) throw new InvalidArgumentError(`must be one of ${LOG_LEVELS.join(', ')}`);
  return v;
}

export function portNumber(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}
