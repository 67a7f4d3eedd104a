// `npm start`: the whole system on this machine. Ctrl-C stops every process cleanly.
import { log, stackConfig, startStack } from './stack.mjs';

const config = stackConfig();
let stack;
let stopping = false;

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  log('stopping every service ...');
  if (stack) {
    const results = await stack.stop();
    for (const [name, result] of Object.entries(results))
      log(`${name} exited (${result?.signal ?? result?.code ?? 'not running'})`);
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  stack = await startStack(config);
} catch (error) {
  console.error(`\n${error.message}\n`);
  process.exit(1);
}

for (const [name, { exited }] of stack.children) {
  void exited.then((result) => {
    if (stopping) return;
    log(`${name} stopped unexpectedly (${result.signal ?? `exit ${result.code}`}); stopping the stack`);
    void shutdown(1);
  });
}

const token = await stack.token({ tenant: 't_demo', user: 'u_demo', role: 'owner' });
log('');
log(`gateway:  ${stack.gatewayUrl}   (OpenAPI: ${stack.gatewayUrl}/docs)`);
log(`tenant t_demo, user u_demo, role owner; token (valid 24 h, more with \`npm run token -- --tenant <id>\`):`);
log('');
process.stdout.write(`${token}\n\n`);
log(`try:  curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`);
log(`        -d '{"domain":"shop.example.com","siteType":"wordpress"}' ${stack.gatewayUrl}/api/v1/sites`);
log('Ctrl-C stops everything.');
