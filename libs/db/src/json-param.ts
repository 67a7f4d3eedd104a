/**
 * `text` with each lone surrogate replaced by U+FFFD, for a string that goes into a JSON
 * parameter (`json_to_recordset`) and from there into a text column. postgres.js sends a
 * text parameter as UTF-8, a lone surrogate becoming U+FFFD; inside JSON it is an escape
 * (`\ud800`) that Postgres refuses, which would fail the whole batch.
 */
export function withoutLoneSurrogates(text: string): string {
  return text.replace(/\p{Cs}/gu, '\uFFFD');
}
