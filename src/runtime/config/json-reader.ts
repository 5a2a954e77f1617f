import { EngineError } from '../../errors/engine-error.js';

/**
 * Walks untrusted JSON and remembers where it is, so that every complaint
 * names the field: `linux.namespaces[2].type: unknown namespace "foo"`.
 */
export class JsonReader {
  constructor(
    readonly value: unknown,
    readonly path: string,
  ) {}

  static root(value: unknown): JsonReader {
    return new JsonReader(value, '');
  }

  fail(problem: string): never {
    throw new EngineError('InvalidArgument', 'INVALID_CONFIG', `${this.path || 'config'}: ${problem}`);
  }

  get present(): boolean {
    return this.value !== undefined && this.value !== null;
  }

  field(name: string): JsonReader {
    const obj = this.object();
    return new JsonReader(obj[name], this.path ? `${this.path}.${name}` : name);
  }

  object(): Record<string, unknown> {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value)) {
      this.fail(`must be an object, got ${describe(this.value)}`);
    }
    return this.value as Record<string, unknown>;
  }

  items(): JsonReader[] {
    if (!Array.isArray(this.value)) this.fail(`must be an array, got ${describe(this.value)}`);
    return this.value.map((v, i) => new JsonReader(v, `${this.path}[${i}]`));
  }

  optionalItems(): JsonReader[] {
    return this.present ? this.items() : [];
  }

  string(): string {
    if (typeof this.value !== 'string') this.fail(`must be a string, got ${describe(this.value)}`);
    return this.value;
  }

  optionalString(): string | undefined {
    return this.present ? this.string() : undefined;
  }

  boolean(): boolean {
    if (typeof this.value !== 'boolean') this.fail(`must be a boolean, got ${describe(this.value)}`);
    return this.value;
  }

  optionalBoolean(): boolean | undefined {
    return this.present ? this.boolean() : undefined;
  }

  /** An integer within [min, max]. */
  integer(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.value;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(`must be an integer, got ${describe(v)}`);
    if (v < min || v > max) this.fail(`${v} is out of range [${min}, ${max}]`);
    return v;
  }

  optionalInteger(min?: number, max?: number): number | undefined {
    return this.present ? this.integer(min, max) : undefined;
  }

  strings(): string[] {
    return this.items().map((r) => r.string());
  }

  optionalStrings(): string[] | undefined {
    return this.present ? this.strings() : undefined;
  }

  stringMap(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key of Object.keys(this.object())) out[key] = this.field(key).string();
    return out;
  }

  optionalStringMap(): Record<string, string> | undefined {
    return this.present ? this.stringMap() : undefined;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `${typeof v === 'object' ? 'an' : 'a'} ${typeof v} ${typeof v === 'object' ? '' : JSON.stringify(v)}`.trim();
}
