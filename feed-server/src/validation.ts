import type { ValueErrorIterator } from '@sinclair/typebox/errors';

/** The first schema error as one short line, e.g. "/symbols/0: Expected string". */
export function describeSchemaError(errors: ValueErrorIterator): string {
  const first = errors.First();
  if (first === undefined) return 'invalid payload';
  const path = first.path === '' ? 'payload' : first.path;
  return `${path.slice(0, 80)}: ${first.message}`;
}
