import { EngineError } from '../../../errors/engine-error.js';
import { flagDisplayName, type FlagSpec, type RunFlags } from './flag-table.js';
import { goQuote, goQuoteChar, parseGoBool } from './go.js';

/**
 * Reads a docker command line the way spf13/pflag does for `docker run`
 * (with interspersed flags off), so every argv docker accepts means the
 * same here and every one it refuses fails with the same words:
 *
 * - flags stop at the first argument that is not one (the image), or after
 *   `--`; everything after is the image and its command, untouched;
 * - `--flag value`, `--flag=value`, `-f value`, `-fvalue`, `-f=value`;
 * - booleans take no separate value but accept `--rm=false`, `-d=true`;
 * - short booleans group: `-it`, `-dit`, `-itp80:80`;
 * - a value may start with a dash (`--memory-swap -1`).
 */

export interface Scanned {
  flags: RunFlags;
  /** the image, then its command and arguments */
  operands: string[];
}

/** An error in the flags themselves: docker prints it with "See '… --help'." and exits 125. */
export function flagError(message: string): EngineError {
  return new EngineError('InvalidArgument', 'RUN_FLAG_INVALID', message);
}

export function scanFlags(argv: readonly string[], specs: readonly FlagSpec[]): Scanned {
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags: Record<string, unknown> = {};

  const set = (spec: FlagSpec, value: string): void => {
    try {
      if (spec.kind === 'bool') {
        flags[spec.attr] = parseGoBool(value);
        return;
      }
      spec.check?.(value);
    } catch (err) {
      throw flagError(`invalid argument ${goQuote(value)} for ${goQuote(flagDisplayName(spec))} flag: ${(err as Error).message}`);
    }
    if (spec.kind === 'list') ((flags[spec.attr] ??= []) as string[]).push(value);
    else flags[spec.attr] = value;
  };

  let i = 0;
  while (i < argv.length) {
    const s = argv[i++]!;
    if (s === '' || s[0] !== '-' || s === '-') return { flags, operands: argv.slice(i - 1) };
    if (s === '--') return { flags, operands: argv.slice(i) };
    if (s[1] === '-') {
      const body = s.slice(2);
      if (body[0] === '-' || body[0] === '=') throw flagError(`bad flag syntax: ${s}`);
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      const spec = byLong.get(name);
      if (!spec) throw flagError(`unknown flag: --${name}`);
      let value: string;
      if (eq >= 0) value = body.slice(eq + 1);
      else if (spec.kind === 'bool') value = 'true';
      else if (i < argv.length) value = argv[i++]!;
      else throw flagError(`flag needs an argument: ${s}`);
      set(spec, value);
      continue;
    }
    // a group of shorthands: each a boolean, until one that takes a value takes the rest
    let shorts = s.slice(1);
    while (shorts.length > 0) {
      const c = shorts[0]!;
      const spec = byShort.get(c);
      if (!spec) throw flagError(`unknown shorthand flag: ${goQuoteChar(c)} in -${shorts}`);
      let value: string;
      if (shorts.length > 2 && shorts[1] === '=') {
        value = shorts.slice(2);
        shorts = '';
      } else if (spec.kind === 'bool') {
        value = 'true';
        shorts = shorts.slice(1);
      } else if (shorts.length > 1) {
        value = shorts.slice(1);
        shorts = '';
      } else if (i < argv.length) {
        value = argv[i++]!;
        shorts = '';
      } else {
        throw flagError(`flag needs an argument: ${goQuoteChar(c)} in -${shorts}`);
      }
      set(spec, value);
    }
  }
  return { flags, operands: [] };
}
