// `npm run scale -- <service> <replicas>`: N processes of one listener service sharing its
// durable consumer(s), each on its own ops port (the service's + 100, + 200, ...). Runs alone
// or beside `npm start` (whose instance is one more member). Ctrl-C stops them cleanly.
import { LISTENER_SERVICES, log, stackConfig, startReplicas } from './stack.mjs';

const [name, countArg = '2'] = process.argv.slice(2);
const count = Number(countArg);
if (!name || !LISTENER_SERVICES.includes(name) || !Number.isInteger(count) || count < 1) {
  console.error(`usage: npm run scale -- <${LISTENER_SERVICES.join('|')}> <replicas>`);
  process.exit(2);
}

let group;
let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  log(`stopping ${name} replicas ...`);
  if (group) await group.stop();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  group = await startReplicas(stackConfig(), name, count);
} catch (error) {
  console.error(`\n${error.message}\n`);
  process.exit(1);
}
for (const replica of group.replicas) {
  log(`${name}#${replica.index}: ${replica.metricsUrl}`);
  void replica.exited.then((result) => {
    if (stopping) return;
    log(`${name}#${replica.index} stopped unexpectedly (${result.signal ?? `exit ${result.code}`}); stopping`);
    void shutdown(1);
  });
}
log(`${count} replicas of ${name} share its durable consumer; Ctrl-C stops them.`);
