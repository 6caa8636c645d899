import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from '#cli/claims.ts';
import { parseYuan, type Fen } from '#shared/money.ts';
import type { Lang } from '#shared/vocabulary.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * The language the CLI writes the API's codes in (`--lang zh-CN|en`; Chinese unless told). Codes
 * stay in the output beside the words, and in --json, for programs.
 */
export function cliLang(value: string | boolean | undefined): Lang {
  if (value === undefined || value === 'zh' || value === 'zh-CN') return 'zh';
  if (value === 'en') return 'en';
  throw new CliError('--lang must be zh-CN or en', 2);
}

/** parseArgs that turns its exceptions into one-line usage errors. */
export function parseVerbArgs<T extends Options>(args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), 2);
  }
}

export function requireOption(value: string | boolean | undefined, name: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new CliError(`--${name} is required`, 2);
  return value;
}

export function yuanOption(value: string | boolean | undefined, name: string, fallback?: string): Fen {
  const raw = value === undefined ? fallback : value;
  const parsed = parseYuan(typeof raw === 'string' ? raw : undefined);
  if (raw === undefined) throw new CliError(`--${name} is required`, 2);
  if (!parsed.ok) throw new CliError(`--${name}: ${parsed.error}`, 2);
  return parsed.fen;
}
