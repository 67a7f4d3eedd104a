import { parseArgs } from 'node:util';
import { Role, signToken } from '../auth/index.js';
import { ConfigError, loadJwtSecret } from '../config.js';

const USAGE = 'usage: token --tenant <id> [--user <id>] [--role owner|admin|member|viewer] [--ttl <seconds>]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string' },
      user: { type: 'string', default: 'cli' },
      role: { type: 'string', default: 'owner' },
      ttl: { type: 'string', default: '3600' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const role = Role.safeParse(values.role);
  const ttlSeconds = Number(values.ttl);
  if (!values.tenant || !role.success || !Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const secret = loadJwtSecret();
  console.log(await signToken({ secret, tenantId: values.tenant, userId: values.user, role: role.data, ttlSeconds }));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
  process.exitCode = error instanceof ConfigError ? 1 : 2;
});
