// What a hop costs this machine: a round trip between two Node processes over loopback TCP (the
// bench and an echo child), back to back and with each process asleep between round trips, as
// the system's processes are at a low rate. CPU of both processes from /proc (Linux), per round
// trip. `npm run bench` reports it with the raw limits; `node bench/wake-up.mjs` prints it alone.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ECHO_SERVER = `
const server = require('node:net').createServer((socket) => { socket.setNoDelay(true); socket.pipe(socket); });
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.on('SIGTERM', () => process.exit(0));`;

/** CPU seconds of a process, all threads, from the scheduler's nanosecond counts (`stat`'s ticks are 10 ms). */
function cpuSeconds(pid) {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e9;
}

/**
 * Round trips of `payloadBytes` to an echo child: `count` back to back, then `idleCount` with
 * `idleGapMs` of sleep before each. Returns µs of CPU (both processes) and of wall time per
 * round trip for each, or null where /proc is missing.
 */
export async function measureWakeUp({ count = 20_000, idleCount = 150, idleGapMs = 20, payloadBytes = 100 } = {}) {
  const child = spawn(process.execPath, ['-e', ECHO_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(Number(d))));
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise((resolve) => socket.once('connect', resolve));
    const payload = Buffer.alloc(payloadBytes, 120);
    const roundTrip = () =>
      new Promise((resolve) => {
        let got = 0;
        const onData = (chunk) => {
          got += chunk.length;
          if (got < payloadBytes) return;
          socket.off('data', onData);
          resolve();
        };
        socket.on('data', onData);
        socket.write(payload);
      });
    const phase = async (n, gapMs) => {
      for (let i = 0; i < 200; i++) await roundTrip(); // JIT and socket warm-up
      const cpu0 = cpuSeconds(process.pid) + cpuSeconds(child.pid);
      let wall = 0;
      for (let i = 0; i < n; i++) {
        if (gapMs) await sleep(gapMs);
        const t = performance.now();
        await roundTrip();
        wall += performance.now() - t;
      }
      const cpu = cpuSeconds(process.pid) + cpuSeconds(child.pid) - cpu0;
      return { roundTrips: n, cpuUs: (cpu * 1e6) / n, wallUs: (wall * 1000) / n };
    };
    const busy = await phase(count, 0);
    const idle = await phase(idleCount, idleGapMs);
    socket.destroy();
    return { busy, idle: { ...idle, gapMs: idleGapMs } };
  } catch (error) {
    if (error?.code === 'ENOENT') return null;
    throw error;
  } finally {
    child.kill('SIGTERM');
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await measureWakeUp(), null, 2));
}
