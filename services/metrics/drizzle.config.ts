import { defineConfig } from 'drizzle-kit';

// `npm run db:generate -w @chom/metrics` (after `npx turbo run build`: the schema imports the
// built @chom/db tables). Only generation runs through drizzle-kit; the service applies the
// migrations itself at start and in `dist/bin/migrate.js`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './drizzle',
  strict: true,
});
