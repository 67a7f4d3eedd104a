import { writeFile } from 'node:fs/promises';
import { renderEventJsonSchema } from '../json-schema.js';

const target = new URL('../../generated/events.schema.json', import.meta.url);
await writeFile(target, renderEventJsonSchema());
console.log(`wrote ${target.pathname}`);
