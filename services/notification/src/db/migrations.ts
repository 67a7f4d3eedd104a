import { fileURLToPath } from 'node:url';

/** `services/notification/drizzle`, from `src/db` (tests) and `dist/db` (the built service) alike. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));
