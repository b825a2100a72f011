/**
 * Reading the CLI's JSON arguments (`--input`, `--arg`, `--fault-plan`): inline JSON or `@file`,
 * parsed with JSON.parse and validated with a zod schema. Errors name the option, the file and
 * the field, and say what was expected.
 */
import fs from 'node:fs';
import type { z } from 'zod';
import { schemaError, UsageError } from './cli-errors';

/** Reads `value` as JSON: the text itself, or the contents of the file after `@`. */
export function readJson(option: string, value: string): unknown {
  let text = value;
  let source = option;
  if (value.startsWith('@')) {
    const file = value.slice(1);
    source = `${option} file ${file}`;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError({
        code: 'unreadable-file',
        message: `${option}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        field: option,
        expected: 'inline JSON, or @ followed by the path of a readable JSON file',
      });
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError({
      code: 'malformed-json',
      message: `${source} is not valid JSON (${(err as Error).message}); expected a JSON value such as '{"patientId": "p-1"}'`,
      field: option,
      expected: 'valid JSON (quote keys and strings with double quotes)',
    });
  }
}

/** Validates `value` against `schema`; a violation names every offending field. */
export function validate<S extends z.ZodType>(option: string, schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw schemaError(option, parsed.error, what);
  return parsed.data;
}

/** {@link readJson} then {@link validate}. */
export function readJsonAs<S extends z.ZodType>(option: string, value: string, schema: S, what: string): z.output<S> {
  return validate(option, schema, readJson(option, value), what);
}
