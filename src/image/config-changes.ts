import { constants } from 'node:os';
import { posix } from 'node:path';
import { EngineError } from '../errors/engine-error.js';
import type { ContainerConfig, HealthConfig } from '../spec/oci-image.js';

/**
 * `docker import --change` and `docker commit --change`: Dockerfile
 * instructions that only change the image's run config, applied the way
 * dockerd does it (the changes are joined by newlines and read as a
 * Dockerfile, so `\` continues a line and `#` starts a comment):
 *
 * - CMD, ENTRYPOINT: JSON (exec) form, or shell form run by the config's
 *   Shell (default /bin/sh -c). ENTRYPOINT clears Cmd unless a CMD came
 *   earlier in the same changes, as in a build.
 * - ENV, LABEL: `k=v ...` with quotes, or the old `k v` form. Values see
 *   variables as they were before the instruction (`ENV a=1 b=$a` gives b
 *   the old a), as Docker does.
 * - WORKDIR (relative to the previous one), USER, EXPOSE (ports, ranges,
 *   /tcp /udp /sctp), VOLUME (JSON or words), STOPSIGNAL, ONBUILD,
 *   HEALTHCHECK (NONE, or [--interval --timeout --start-period
 *   --start-interval --retries] CMD ...).
 *
 * ENV, LABEL, WORKDIR, USER, EXPOSE, VOLUME and STOPSIGNAL expand $VAR,
 * ${VAR}, ${VAR:-default} and ${VAR:+alt} from the config's Env. Any other
 * instruction (RUN, COPY, FROM, ...) is refused, as Docker refuses it.
 */
export const CHANGE_INSTRUCTIONS = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'] as const;

const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** `config` with the changes applied; the input is not modified. */
export function applyChanges(config: ContainerConfig | undefined, changes: readonly string[]): ContainerConfig {
  const out: ContainerConfig = structuredClone(config ?? {});
  let cmdSet = false;
  for (const { line, instruction, rest } of splitInstructions(changes)) {
    const fail: Fail = (cause, hint) => {
      throw new EngineError('InvalidArgument', 'INVALID_CHANGE', `change ${JSON.stringify(line)}: ${cause}`, hint === undefined ? {} : { hint });
    };
    const env = [...(out.Env ?? [])]; // as it was before this instruction
    const word = (w: string): string => expand(w, env, fail);
    const requireArgs = (): void => {
      if (rest === '') fail(`${instruction} requires at least one argument`);
    };
    switch (instruction) {
      case 'CMD': {
        const cmd = commandLine(rest, out, fail);
        out.Cmd = cmd;
        delete out.ArgsEscaped;
        if (cmd && cmd.length > 0) cmdSet = true;
        break;
      }
      case 'ENTRYPOINT':
        out.Entrypoint = commandLine(rest, out, fail);
        delete out.ArgsEscaped;
        if (!cmdSet) out.Cmd = null;
        break;
      case 'ENV':
        requireArgs();
        for (const [k, v] of keyValues(rest, instruction, fail)) {
          const key = word(k);
          if (key === '') fail('ENV names can not be blank');
          const value = word(v);
          const list = (out.Env ??= []);
          const at = list.findIndex((e) => e.split('=', 1)[0] === key);
          if (at >= 0) list[at] = `${key}=${value}`;
          else list.push(`${key}=${value}`);
        }
        break;
      case 'LABEL':
        requireArgs();
        for (const [k, v] of keyValues(rest, instruction, fail)) {
          const key = word(k);
          if (key === '') fail('LABEL names can not be blank');
          (out.Labels ??= {})[key] = word(v);
        }
        break;
      case 'WORKDIR': {
        const dir = word(rest);
        if (dir === '') fail('WORKDIR requires exactly one argument');
        // relative to the previous WORKDIR; an absolute one is kept as written
        out.WorkingDir = dir.startsWith('/') ? dir : posix.join('/', out.WorkingDir ?? '', dir);
        break;
      }
      case 'USER': {
        const user = word(rest);
        if (user === '') fail('USER requires exactly one argument');
        out.User = user;
        break;
      }
      case 'EXPOSE':
        requireArgs();
        for (const w of shellWords(rest, fail)) {
          for (const spec of expandToWords(w, env, fail)) {
            for (const port of exposedPorts(spec, fail)) (out.ExposedPorts ??= {})[port] = {};
          }
        }
        break;
      case 'VOLUME': {
        requireArgs();
        const json = jsonArray(rest, fail);
        for (const v of json ?? rest.split(/\s+/)) {
          const path = word(v).trim();
          if (path === '') fail('VOLUME specified can not be an empty string');
          (out.Volumes ??= {})[path] = {};
        }
        break;
      }
      case 'STOPSIGNAL': {
        const signal = word(rest);
        if (!isSignal(signal)) fail(`invalid signal: ${signal}`, 'use a name such as SIGTERM or TERM, or a number from 1 to 64');
        out.StopSignal = signal;
        break;
      }
      case 'ONBUILD': {
        requireArgs();
        const trigger = rest.split(/\s/, 1)[0]!.toUpperCase();
        if (trigger === 'ONBUILD') fail('chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
        if (trigger === 'FROM' || trigger === 'MAINTAINER') fail(`${trigger} isn't allowed as an ONBUILD trigger`);
        (out.OnBuild ??= []).push(rest);
        break;
      }
      case 'HEALTHCHECK':
        out.Healthcheck = healthcheck(rest, fail);
        break;
      default:
        fail(`${instruction.toLowerCase()} is not a valid change command`, `--change takes ${CHANGE_INSTRUCTIONS.join(', ')}`);
    }
  }
  return out;
}

type Fail = (cause: string, hint?: string) => never;

/** Dockerfile lines: continuations joined, comments and blank lines dropped (inside a continuation too), the instruction split off. */
function splitInstructions(changes: readonly string[]): { line: string; instruction: string; rest: string }[] {
  const out: { line: string; instruction: string; rest: string }[] = [];
  const push = (text: string): void => {
    const line = text.trim();
    if (line === '') return;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line)!;
    out.push({ line, instruction: m[1]!.toUpperCase(), rest: m[2]!.trim() });
  };
  let pending = '';
  for (const raw of changes.join('\n').split('\n')) {
    const text = raw.trim();
    if (text.startsWith('#') || text === '') continue;
    if (text.endsWith('\\')) {
      pending += text.slice(0, -1);
      continue;
    }
    push(pending + text);
    pending = '';
  }
  push(pending);
  return out;
}

/** `["a","b"]` → its strings; anything that is not a JSON array → undefined (the shell form). */
function jsonArray(rest: string, fail: Fail): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(rest);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  if (!parsed.every((x) => typeof x === 'string')) fail('when using JSON array syntax, arrays must be comprised of strings only');
  return parsed as string[];
}

/** CMD/ENTRYPOINT arguments: exec form as given, shell form behind the shell, nothing → null. */
function commandLine(rest: string, config: ContainerConfig, fail: Fail): string[] | null {
  if (rest === '') return null;
  return jsonArray(rest, fail) ?? [...(config.Shell?.length ? config.Shell : DEFAULT_SHELL), rest];
}

/** ENV/LABEL pairs, unexpanded: `k=v k2="v 2"`, or the old `k the rest is the value`. */
function keyValues(rest: string, instruction: string, fail: Fail): [string, string][] {
  const words = shellWords(rest, fail);
  if (!words[0]!.includes('=')) {
    const m = /^(\S+)\s+([\s\S]+)$/.exec(rest);
    if (!m) fail(`${instruction} must have two arguments`);
    return [[m![1]!, m![2]!]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) fail(`syntax error - can't find = in ${JSON.stringify(w)}. Must be of the form: name=value`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/** Splits on whitespace outside quotes, keeping quotes and escapes for `expand` to interpret. */
function shellWords(text: string, fail: Fail): string[] {
  const words: string[] = [];
  let cur = '';
  let quote = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      cur += c;
      if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else if (c === quote) quote = '';
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      inWord = true;
      cur += c;
      if (c === '\\' && i + 1 < text.length) cur += text[++i];
      else if (c === '"' || c === "'") quote = c;
    }
  }
  if (quote) fail(`unexpected end of statement while looking for matching ${quote === '"' ? 'double' : 'single'}-quote`);
  if (inWord) words.push(cur);
  return words;
}

/** One word: quotes removed, escapes applied, variables expanded (Docker's ProcessWord). */
function expand(word: string, env: readonly string[], fail: Fail): string {
  return expandWords(word, env, fail, false).join('');
}

/** Like expand, but unquoted whitespace — also inside a variable's value — splits words (EXPOSE $PORTS). */
function expandToWords(word: string, env: readonly string[], fail: Fail): string[] {
  return expandWords(word, env, fail, true);
}

function expandWords(word: string, env: readonly string[], fail: Fail, split: boolean): string[] {
  const lookup = (name: string): string | undefined => {
    for (let i = env.length - 1; i >= 0; i--) {
      const e = env[i]!;
      if (e.startsWith(`${name}=`)) return e.slice(name.length + 1);
    }
    return undefined;
  };
  const words: string[] = [];
  let cur = '';
  let started = false;
  const unquoted = (text: string): void => {
    if (!split) {
      cur += text;
      return;
    }
    for (const part of text.split(/(\s+)/)) {
      if (part === '') continue;
      if (/^\s+$/.test(part)) {
        if (started) words.push(cur);
        cur = '';
        started = false;
      } else {
        cur += part;
        started = true;
      }
    }
  };
  // the text of $NAME / ${...} starting at i (which is at "$"); returns the value and the index after it
  const variable = (s: string, i: number): [string, number] => {
    if (s[i + 1] === '{') {
      const close = s.indexOf('}', i + 2);
      if (close < 0) fail(`missing '}' in ${JSON.stringify(s.slice(i))}`);
      const body = s.slice(i + 2, close);
      const m = /^([A-Za-z0-9_]+)(?:(:[-+])([\s\S]*))?$/.exec(body);
      if (!m) fail(`bad substitution ${JSON.stringify(`\${${body}}`)}`, 'use ${NAME}, ${NAME:-default} or ${NAME:+alternative}');
      const value = lookup(m![1]!);
      if (m![2] === ':-') return [value ? value : expand(m![3]!, env, fail), close + 1];
      if (m![2] === ':+') return [value ? expand(m![3]!, env, fail) : '', close + 1];
      return [value ?? '', close + 1];
    }
    const name = /^[A-Za-z0-9_]+/.exec(s.slice(i + 1))?.[0];
    if (!name) return ['$', i + 1];
    return [lookup(name) ?? '', i + 1 + name.length];
  };
  for (let i = 0; i < word.length; ) {
    const c = word[i]!;
    if (c === "'") {
      const end = word.indexOf("'", i + 1);
      if (end < 0) fail('unexpected end of statement while looking for matching single-quote');
      cur += word.slice(i + 1, end);
      started = true;
      i = end + 1;
    } else if (c === '"') {
      started = true;
      let j = i + 1;
      for (; j < word.length && word[j] !== '"'; ) {
        if (word[j] === '\\' && '"$\\'.includes(word[j + 1] ?? '')) {
          cur += word[j + 1];
          j += 2;
        } else if (word[j] === '$') {
          const [value, next] = variable(word, j);
          cur += value;
          j = next;
        } else {
          cur += word[j++];
        }
      }
      if (j >= word.length) fail('unexpected end of statement while looking for matching double-quote');
      i = j + 1;
    } else if (c === '\\' && i + 1 < word.length) {
      cur += word[i + 1];
      started = true;
      i += 2;
    } else if (c === '$') {
      const [value, next] = variable(word, i);
      unquoted(value);
      i = next;
    } else {
      unquoted(c);
      i++;
    }
  }
  if (started || !split) words.push(cur);
  return words;
}

/** EXPOSE's `[ip:][host:]port[-end][/proto]` → the "port/proto" keys Docker records. */
function exposedPorts(spec: string, fail: Fail): string[] {
  const slash = spec.lastIndexOf('/');
  const proto = slash >= 0 ? spec.slice(slash + 1).toLowerCase() : 'tcp';
  const portPart = (slash >= 0 ? spec.slice(0, slash) : spec).split(':').at(-1)!;
  if (!['tcp', 'udp', 'sctp'].includes(proto)) fail(`invalid proto: ${proto}`, 'a port is exposed over tcp, udp or sctp');
  const m = /^(\d+)(?:-(\d+))?$/.exec(portPart);
  const start = Number(m?.[1]);
  const end = m?.[2] === undefined ? start : Number(m[2]);
  if (!m || start > 65535 || end > 65535 || end < start) fail(`invalid containerPort: ${portPart}`, 'give a port from 0 to 65535, or a range such as 8000-8010');
  const ports: string[] = [];
  for (let p = start; p <= end; p++) ports.push(`${p}/${proto}`);
  return ports;
}

const SIGNALS = constants.signals as Record<string, number>;

/** Docker's signal.ParseSignal: a number 1..64, or a name with or without SIG, any case. */
function isSignal(text: string): boolean {
  if (/^\d+$/.test(text)) return Number(text) >= 1 && Number(text) <= 64;
  const name = text.toUpperCase().replace(/^SIG/, '');
  return `SIG${name}` in SIGNALS || /^RTMIN(\+([1-9]|1[0-5]))?$|^RTMAX(-([1-9]|1[0-4]))?$/.test(name);
}

/** HEALTHCHECK NONE | [--flag=value ...] CMD command */
function healthcheck(rest: string, fail: Fail): HealthConfig {
  let args = rest;
  const flags = new Map<string, string>();
  for (let m = /^--([a-z-]+)=(\S*)\s*/.exec(args); m; m = /^--([a-z-]+)=(\S*)\s*/.exec(args)) {
    flags.set(m[1]!, m[2]!);
    args = args.slice(m[0].length);
  }
  if (args === '') fail('HEALTHCHECK requires at least one argument');
  const [, type = '', command = ''] = /^(\S+)\s*([\s\S]*)$/.exec(args)!;
  if (type.toUpperCase() === 'NONE') {
    if (command !== '' || flags.size > 0) fail('HEALTHCHECK NONE takes no arguments');
    return { Test: ['NONE'] };
  }
  if (type.toUpperCase() !== 'CMD') fail(`unknown type ${JSON.stringify(type.toUpperCase())} in HEALTHCHECK (try CMD)`);
  if (command === '') fail('missing command after HEALTHCHECK CMD');
  const json = jsonArray(command, fail);
  const hc: HealthConfig = { Test: json ? ['CMD', ...json] : ['CMD-SHELL', command] };
  const known: Record<string, 'Interval' | 'Timeout' | 'StartPeriod' | 'StartInterval'> = { interval: 'Interval', timeout: 'Timeout', 'start-period': 'StartPeriod', 'start-interval': 'StartInterval' };
  for (const [flag, value] of flags) {
    if (flag === 'retries') {
      if (!/^-?\d+$/.test(value)) fail(`--retries: invalid number ${JSON.stringify(value)}`);
      if (Number(value) < 1) fail(`--retries must be at least 1 (not ${value})`);
      hc.Retries = Number(value);
      continue;
    }
    const field = known[flag];
    if (!field) fail(`unknown flag: ${flag}`, 'HEALTHCHECK takes --interval, --timeout, --start-period, --start-interval and --retries');
    const ns = goDuration(value);
    if (ns === undefined) fail(`--${flag}: invalid duration ${JSON.stringify(value)}`, 'write durations as Go does: 30s, 1m30s, 500ms');
    if (ns! !== 0 && ns! < 1_000_000) fail(`${field} ${JSON.stringify(value)} cannot be less than 1ms`);
    if (ns! !== 0) hc[field!] = ns!;
  }
  return hc;
}

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** A Go duration ("1m30s", "1.5h", "0") in nanoseconds; undefined when it is not one. */
function goDuration(text: string): number | undefined {
  if (text === '0') return 0;
  // µ and μ escaped: one character beyond Latin-1 in the bundle makes V8 keep all of berthd's source as UTF-16 (0.5 MB more)
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y;
  let total = 0;
  let i = 0;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_NS[m[2]!]!;
    i = re.lastIndex;
  }
  return text === '' ? undefined : Math.round(total);
}
