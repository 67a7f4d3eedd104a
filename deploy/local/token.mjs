// `npm run token -- --tenant <id> [--user <id>] [--role <role>]`: a bearer token for the local stack.
import { spawn } from 'node:child_process';
import { devSecretFile, ROOT } from './stack.mjs';

const secretFile = await devSecretFile();
const child = spawn(process.execPath, ['services/gateway/dist/bin/token.js', ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { JWT_SECRET_FILE: secretFile, ...process.env },
});
child.once('exit', (code) => process.exit(code ?? 1));
