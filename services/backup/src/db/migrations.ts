import { fileURLToPath } from 'node:url';

/** `services/backup/drizzle`, from `src/db` and from `dist/db` alike. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));
