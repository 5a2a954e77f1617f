import { EngineError } from '../../../errors/engine-error.js';

/**
 * The part of Go's text/template that `docker … --format` is used with:
 * fields (`.ID`, `.Config.Env`), `$`, literals, pipelines, `if`/`else`,
 * `range`, `with`, and the functions the docker CLI adds (json, join,
 * lower, upper, title, split, truncate, pad, println, index, len, printf).
 * Values print as Go prints them: `<no value>` for a missing one, `[a b]`
 * for a list, `map[k:v]` for a map.
 */

type Block = { kind: 'if' | 'with'; pipe: Pipe; then: Node[]; otherwise: Node[] } | { kind: 'range'; pipe: Pipe; body: Node[]; otherwise: Node[] };
type Node = { kind: 'text'; text: string } | { kind: 'action'; pipe: Pipe } | Block;
type Pipe = Cmd[];
type Cmd = Arg[];
type Arg = { kind: 'field'; root: '.' | '$'; path: string[] } | { kind: 'lit'; value: unknown } | { kind: 'fn'; name: string } | { kind: 'pipe'; pipe: Pipe };

const bad = (format: string, why: string): EngineError =>
  new EngineError('InvalidArgument', 'BAD_FORMAT', `template parsing error: ${why}`, { hint: `check the --format template ${JSON.stringify(format)}` });

function tokenize(src: string, format: string): string[] {
  const tokens: string[] = [];
  const re = /\s+|"(?:[^"\\]|\\.)*"|`[^`]*`|\(|\)|\||[$.]?[A-Za-z_0-9.$]*[A-Za-z_0-9]|\.|\$|-?\d+(?:\.\d+)?/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < src.length) {
    const at = re.lastIndex;
    m = re.exec(src);
    if (!m || m[0] === '') throw bad(format, `unexpected ${JSON.stringify(src.slice(at, at + 10))} in action`);
    if (!/^\s+$/.test(m[0])) tokens.push(m[0]);
  }
  return tokens;
}

function parseArg(t: string, format: string): Arg {
  if (t === '.' || t.startsWith('.')) return { kind: 'field', root: '.', path: t === '.' ? [] : t.slice(1).split('.') };
  if (t === '$' || t.startsWith('$.')) return { kind: 'field', root: '$', path: t === '$' ? [] : t.slice(2).split('.') };
  if (t.startsWith('"')) return { kind: 'lit', value: JSON.parse(t) as string };
  if (t.startsWith('`')) return { kind: 'lit', value: t.slice(1, -1) };
  if (/^-?\d/.test(t)) return { kind: 'lit', value: Number(t) };
  if (t === 'true' || t === 'false') return { kind: 'lit', value: t === 'true' };
  if (t === 'nil') return { kind: 'lit', value: undefined };
  if (/^[A-Za-z_]\w*$/.test(t)) return { kind: 'fn', name: t };
  throw bad(format, `bad token ${JSON.stringify(t)}`);
}

function parsePipe(tokens: string[], format: string): Pipe {
  const pipe: Pipe = [];
  let cmd: Cmd = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '|') {
      pipe.push(cmd);
      cmd = [];
    } else if (t === '(') {
      let depth = 1;
      let j = i + 1;
      for (; j < tokens.length && depth > 0; j++) depth += tokens[j] === '(' ? 1 : tokens[j] === ')' ? -1 : 0;
      if (depth !== 0) throw bad(format, 'unclosed left paren');
      cmd.push({ kind: 'pipe', pipe: parsePipe(tokens.slice(i + 1, j - 1), format) });
      i = j - 1;
    } else if (t === ')') {
      throw bad(format, 'unexpected right paren');
    } else {
      cmd.push(parseArg(t, format));
    }
  }
  pipe.push(cmd);
  if (pipe.some((c) => c.length === 0)) throw bad(format, 'missing value for command');
  return pipe;
}

/** Parses a template into nodes; `{{-` and `-}}` trim the space beside them, as in Go. */
function parse(format: string): Node[] {
  const root: Node[] = [];
  const stack: { nodes: Node[]; node?: Block; inElse?: boolean }[] = [{ nodes: root }];
  const top = () => stack[stack.length - 1]!;
  const re = /\{\{(-\s)?([\s\S]*?)(\s-)?\}\}/g;
  let last = 0;
  let trimNext = false;
  let m: RegExpExecArray | null;
  const pushText = (text: string) => {
    if (text) top().nodes.push({ kind: 'text', text });
  };
  while ((m = re.exec(format))) {
    let text = format.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1]) text = text.replace(/\s+$/, '');
    pushText(text);
    trimNext = Boolean(m[3]);
    last = re.lastIndex;
    const body = m[2]!.trim();
    if (body.startsWith('/*')) continue;
    const tokens = tokenize(body, format);
    const [head, ...rest] = tokens;
    if (head === 'if' || head === 'with' || head === 'range') {
      const node: Block = head === 'range' ? { kind: 'range', pipe: parsePipe(rest, format), body: [], otherwise: [] } : { kind: head, pipe: parsePipe(rest, format), then: [], otherwise: [] };
      top().nodes.push(node);
      stack.push({ nodes: node.kind === 'range' ? node.body : node.then, node });
    } else if (head === 'else') {
      const frame = top();
      if (!frame.node || frame.inElse) throw bad(format, 'unexpected {{else}}');
      frame.inElse = true;
      frame.nodes = frame.node.otherwise;
      if (rest[0] === 'if') {
        // {{else if x}} is {{else}}{{if x}} … with one shared {{end}}
        const nested: Block = { kind: 'if', pipe: parsePipe(rest.slice(1), format), then: [], otherwise: [] };
        frame.nodes.push(nested);
        frame.node = nested;
        frame.inElse = false;
        frame.nodes = nested.then;
      }
    } else if (head === 'end') {
      if (stack.length === 1) throw bad(format, 'unexpected {{end}}');
      stack.pop();
    } else {
      top().nodes.push({ kind: 'action', pipe: parsePipe(tokens, format) });
    }
  }
  let tail = format.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, '');
  pushText(tail);
  if (stack.length !== 1) throw bad(format, 'unexpected EOF: an {{if}}, {{range}} or {{with}} has no {{end}}');
  return root;
}

/** How Go's fmt prints a value with %v. */
export function goString(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goString((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  return String(v);
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

const FUNCS: Record<string, (...args: unknown[]) => unknown> = {
  json: (v) => JSON.stringify(v ?? null),
  join: (list, sep) => (Array.isArray(list) ? list.map(goString).join(String(sep)) : goString(list)),
  lower: (s) => goString(s).toLowerCase(),
  upper: (s) => goString(s).toUpperCase(),
  title: (s) => goString(s).replace(/\b\w/g, (c) => c.toUpperCase()),
  split: (s, sep) => goString(s).split(String(sep)),
  truncate: (s, n) => [...goString(s)].slice(0, Number(n)).join(''),
  pad: (s, before, after) => ' '.repeat(Number(before)) + goString(s) + ' '.repeat(Number(after)),
  println: (...a) => `${a.map(goString).join(' ')}\n`,
  print: (...a) => a.map(goString).join(''),
  len: (v) => (Array.isArray(v) || typeof v === 'string' ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0),
  index: (v, ...keys) => keys.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[String(k)], v),
  printf: (fmt, ...a) => {
    let i = 0;
    return String(fmt).replace(/%[-+ #0]*\d*(?:\.\d+)?([svdqtf%])/g, (_, verb: string) => (verb === '%' ? '%' : verb === 'q' ? JSON.stringify(goString(a[i++])) : goString(a[i++])));
  },
};

interface Scope {
  dot: unknown;
  root: unknown;
  format: string;
}

function field(base: unknown, path: string[], scope: Scope, shown: string): unknown {
  let v = base;
  for (const name of path) {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object') throw new EngineError('InvalidArgument', 'BAD_FORMAT', `template: executing "" at <${shown}>: can't evaluate field ${name} in type ${typeof v}`, { hint: `check the --format template ${JSON.stringify(scope.format)}` });
    v = (v as Record<string, unknown>)[name];
  }
  return v;
}

function evalArg(arg: Arg, scope: Scope, piped: unknown[]): unknown {
  switch (arg.kind) {
    case 'lit':
      return arg.value;
    case 'field':
      return field(arg.root === '.' ? scope.dot : scope.root, arg.path, scope, (arg.root === '$' ? '$' : '') + '.' + arg.path.join('.'));
    case 'pipe':
      return evalPipe(arg.pipe, scope);
    case 'fn': {
      const fn = FUNCS[arg.name];
      if (!fn) throw bad(scope.format, `function "${arg.name}" not defined`);
      return fn(...piped);
    }
  }
}

function evalPipe(pipe: Pipe, scope: Scope): unknown {
  let prev: unknown[] = [];
  let value: unknown;
  for (const cmd of pipe) {
    const [head, ...rest] = cmd;
    if (head!.kind === 'fn') {
      value = evalArg(head!, scope, [...rest.map((a) => evalArg(a, scope, [])), ...prev]);
    } else {
      if (rest.length) throw bad(scope.format, `can't give argument to non-function`);
      value = evalArg(head!, scope, []);
    }
    prev = [value];
  }
  return value;
}

function run(nodes: Node[], scope: Scope): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'action') out += goString(evalPipe(n.pipe, scope));
    else if (n.kind === 'if') out += run(truthy(evalPipe(n.pipe, scope)) ? n.then : n.otherwise, scope);
    else if (n.kind === 'with') {
      const v = evalPipe(n.pipe, scope);
      out += truthy(v) ? run(n.then, { ...scope, dot: v }) : run(n.otherwise, scope);
    } else if (n.kind === 'range') {
      const v = evalPipe(n.pipe, scope);
      const items = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.keys(v).sort().map((k) => (v as Record<string, unknown>)[k]) : [];
      out += items.length ? items.map((item) => run(n.body, { ...scope, dot: item })).join('') : run(n.otherwise, scope);
    }
  }
  return out;
}

export interface Template {
  execute(data: unknown): string;
}

/** A parsed --format; `\t` and `\n` typed literally become tab and newline, as in the docker CLI. */
export function compileTemplate(format: string): Template {
  const text = format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const nodes = parse(text);
  return { execute: (data) => run(nodes, { dot: data, root: data, format }) };
}
