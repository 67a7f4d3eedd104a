// Preloaded with `--import` (`npm run bench -- --profile DIR`): records a V8 CPU profile of the
// whole process and writes it to $CHOM_CPU_PROF_DIR/<service>-<pid>.cpuprofile at exit
// (NODE_OPTIONS refuses --cpu-prof itself). Open it in Chrome DevTools or speedscope.
import { writeFileSync, mkdirSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.CHOM_CPU_PROF_DIR ?? '/tmp/chom-prof';
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 500 });
session.post('Profiler.start');
process.once('exit', () => {
  session.post('Profiler.stop', (error, result) => {
    if (error) return;
    mkdirSync(dir, { recursive: true });
    const name = process.env.OTEL_SERVICE_NAME ?? 'node';
    writeFileSync(join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
});
