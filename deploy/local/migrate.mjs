// `npm run migrate`: creates and migrates every service database.
import { spawn } from 'node:child_process';
import { ROOT, SERVICES, serviceEnv, stackConfig } from './stack.mjs';

const config = stackConfig();
for (const service of SERVICES.filter((s) => s.database)) {
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [`services/${service.name}/dist/bin/migrate.js`], {
      cwd: ROOT,
      stdio: 'inherit',
      env: serviceEnv(config, service.name, ''),
    });
    child.once('exit', resolve);
  });
  if (code !== 0) process.exit(code ?? 1);
}
