// The whole machine's CPU time and context switches, and each process group's share, read from
// /proc (Linux): the services (by pid), nats-server, Postgres (every backend), the bench itself
// and whatever is left. `npm run bench` samples it around the throughput run to report what one
// site costs the machine, not only the services. Elsewhere (no /proc) it returns null.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

// USER_HZ: the unit of /proc's CPU times, 100 on every Linux architecture Node supports.
const TICKS_PER_SECOND = 100;

function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // the process or thread ended while it was read
  }
}

/** The command name and CPU seconds (user + system, all threads) of one process. */
function processStat(pid) {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return null;
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const fields = stat.slice(close + 2).split(' '); // fields[0] is field 3 (state)
  return { comm, cpu: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND }; // utime, stime
}

/** Context switches of one process, all its threads. */
function processSwitches(pid) {
  let switches = 0;
  let tasks = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0; // ended meanwhile
  }
  for (const task of tasks) {
    const status = read(`/proc/${pid}/task/${task}/status`);
    if (!status) continue;
    switches += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    switches += Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  }
  return switches;
}

/**
 * Postgres titles its processes (`postgres: [cluster: ]walwriter`, `postgres: [cluster: ]<user>
 * <database> <client> <state>`): a backend is grouped by its database (less `databasePrefix`), the server's own
 * processes by their role.
 */
function postgresGroup(pid, databasePrefix) {
  const title = read(`/proc/${pid}/cmdline`)?.replaceAll('\0', ' ').trim() ?? '';
  const role = title.replace(/^postgres: (?:[^:\s]+: )?/, ''); // less the cluster name, where set
  const backend = /^\S+ (\S+) \S+\(\d+\)/.exec(role);
  if (backend) {
    const database = backend[1];
    return database.startsWith(databasePrefix) ? `pg ${database.slice(databasePrefix.length)}` : 'pg other databases';
  }
  return role && role !== title ? `pg ${role.replace(/\s+\d.*$/, '')}` : 'pg postmaster';
}

/**
 * A snapshot: the machine's busy CPU seconds and context switches (/proc/stat), and the same for
 * each process of a group: the services (`servicePids`: name -> pid), the bench, nats-server, and
 * Postgres (`postgresGroup`).
 */
export function sampleMachine({ servicePids = {}, databasePrefix = '' } = {}) {
  if (!existsSync('/proc/stat')) return null;
  const stat = readFileSync('/proc/stat', 'utf8');
  const [user, nice, system, , , irq, softirq, steal] = /^cpu\s+(.*)$/m.exec(stat)[1].split(/\s+/).map(Number);
  const machine = {
    cpu: (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND,
    switches: Number(/^ctxt\s+(\d+)/m.exec(stat)?.[1] ?? 0),
  };
  const serviceOfPid = new Map(Object.entries(servicePids).map(([name, pid]) => [String(pid), name]));
  serviceOfPid.set(String(process.pid), 'bench');
  const processes = new Map();
  // Threads are read only for the processes of a group (other processes may have many).
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const stat = processStat(pid);
    if (!stat) continue;
    const group =
      serviceOfPid.get(pid) ??
      (stat.comm === 'nats-server' ? 'nats' : stat.comm === 'postgres' ? postgresGroup(pid, databasePrefix) : null);
    if (group) processes.set(pid, { group, cpu: stat.cpu, switches: processSwitches(pid) });
  }
  return { machine, processes };
}

/**
 * Per site, between two snapshots: CPU milliseconds and context switches of the machine and of
 * each group. A process started in between counts from zero; one that ended in between (a
 * closed Postgres backend) falls into `other`, the machine's rest, with the kernel's own
 * threads and anything else running.
 */
export function perSite(before, after, sites) {
  if (!before || !after) return null;
  const per = (cpu, switches) => ({ cpuMs: (cpu * 1000) / sites, switches: switches / sites });
  const sums = {};
  for (const [pid, now] of after.processes) {
    const then = before.processes.get(pid) ?? { cpu: 0, switches: 0 };
    const sum = (sums[now.group] ??= { cpu: 0, switches: 0 });
    sum.cpu += now.cpu - then.cpu;
    sum.switches += now.switches - then.switches;
  }
  const machine = per(after.machine.cpu - before.machine.cpu, after.machine.switches - before.machine.switches);
  const groups = Object.fromEntries(Object.entries(sums).map(([name, s]) => [name, per(s.cpu, s.switches)]));
  const counted = Object.values(groups).reduce(
    (a, g) => ({ cpuMs: a.cpuMs + g.cpuMs, switches: a.switches + g.switches }),
    {
      cpuMs: 0,
      switches: 0,
    },
  );
  groups.other = {
    cpuMs: Math.max(0, machine.cpuMs - counted.cpuMs),
    switches: Math.max(0, machine.switches - counted.switches),
  };
  return { machine, groups };
}

/** Each process's resident memory (bytes) from /proc/<pid>/status, as `{ name: { rss } }`. */
export function residentBytes(pids) {
  return Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => {
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(read(`/proc/${pid}/status`) ?? '')?.[1];
      return [name, { rss: kb === undefined ? NaN : Number(kb) * 1024 }];
    }),
  );
}
