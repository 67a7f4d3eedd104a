import { sql, type SQL } from 'drizzle-orm';

/**
 * `text` with each lone surrogate replaced by U+FFFD, for a string that goes into a JSON
 * parameter (`json_to_recordset`) and from there into a text column. postgres.js sends a
 * text parameter as UTF-8, a lone surrogate becoming U+FFFD; inside JSON it is an escape
 * (`\ud800`) that Postgres refuses, which would fail the whole batch.
 */
export function withoutLoneSurrogates(text: string): string {
  return text.replace(/\p{Cs}/gu, '\uFFFD');
}

/**
 * These strings as rows of one text column, `value`, sent as one JSON parameter: the statement's
 * text is the same for any number of them (one prepared statement, no per-count query
 * building), which `inArray` is not. Use it as `select value from ${jsonElements(ids)}`.
 */
export function jsonElements(values: Iterable<string>): SQL {
  return sql`json_array_elements_text(${JSON.stringify([...values])}::json)`;
}

/** `array(...)` of these ids as uuids ({@link jsonElements}), for `column = any(${uuidArray(ids)})`. */
export function uuidArray(ids: Iterable<string>): SQL {
  return sql`array(select value::uuid from ${jsonElements(ids)})`;
}

/** {@link uuidArray} for text keys (tenant ids). */
export function textArray(ids: Iterable<string>): SQL {
  return sql`array(select value from ${jsonElements(ids)})`;
}
