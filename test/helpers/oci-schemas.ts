import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ajvDraft04 from 'ajv-draft-04';

// a CommonJS module: under NodeNext its class is the `default` of the default import
const Ajv = ajvDraft04.default;

/** shared/specs/oci-runtime beside the repo (CI checks it out there). */
export const SCHEMA_DIR = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'specs', 'oci-runtime');

export function schemasMissing(): string | false {
  if (existsSync(SCHEMA_DIR)) return false;
  if (process.env['CI']) throw new Error(`${SCHEMA_DIR} is missing: CI must check out shared/ beside the repo`);
  return `needs the OCI schemas in ${SCHEMA_DIR}`;
}

let ajv: InstanceType<typeof Ajv> | undefined;

/**
 * Validates against one of the runtime-spec schemas (draft-04, with
 * references between files, registered under their file names); returns
 * the problems, or [] when the value conforms.
 */
export function validateOci(schemaFile: string, value: unknown): string[] {
  if (!ajv) {
    ajv = new Ajv({ allErrors: true, strict: false });
    for (const file of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json'))) {
      const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as Record<string, unknown>;
      schema['id'] = file;
      ajv.addSchema(schema, file);
    }
  }
  const validate = ajv.getSchema(schemaFile);
  if (!validate) throw new Error(`no schema ${schemaFile}`);
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
