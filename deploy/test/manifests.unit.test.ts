import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOpsServer, createLogger, createMetricsRegistry } from '@chom/telemetry';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

// The deployment files checked against the code: the services are discovered from
// services/*/package.json, the variables each one requires and the ports it listens on come
// from its own config.ts (loadConfig), the consumers from its listener settings.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const K8S = join(ROOT, 'deploy/k8s');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

type Env = Record<string, string | undefined>;
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A deployable service: a workspace under services/ with a main entry and a config.ts; a CLI (`bin`) is not one. */
const SERVICES = readdirSync(join(ROOT, 'services'))
  .filter((dir) => existsSync(join(ROOT, 'services', dir, 'package.json')))
  .filter((dir) => {
    const pkg = JSON.parse(read(`services/${dir}/package.json`)) as { main?: string; bin?: unknown };
    return !pkg.bin && pkg.main === 'dist/main.js' && existsSync(join(ROOT, 'services', dir, 'src/config.ts'));
  })
  .sort();

interface ServiceFacts {
  name: string;
  loadConfig: (env: Env) => Obj;
  /** Variables the config refuses to start without (no default). */
  required: string[];
  /** The ops port (backend) or HTTP port (gateway) by default; /healthz, /readyz, /metrics answer there. */
  port: number;
  /** The default database name, when the service owns one. */
  database: string | undefined;
  /** Durable consumer names, from the `listenerEnv('<PREFIX>', ...)` of its config. */
  consumers: string[];
}

/** Variable names out of a ConfigError message (`  - NAME: problem`). */
function failingVariables(error: unknown): string[] {
  const message = error instanceof Error ? error.message : String(error);
  return [...message.matchAll(/^\s+- ([A-Z][A-Z0-9_]*)\b/gm)].map((m) => m[1] as string);
}

/** Every string in a loaded config: none may point at this machine's loopback. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value instanceof RegExp || value instanceof Buffer) return [];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

const facts = new Map<string, ServiceFacts>();
const DRAIN_MS = Number(/timeoutMs = ([\d_]+)/.exec(read('libs/telemetry/src/shutdown.ts'))?.[1]?.replace(/_/g, ''));

beforeAll(async () => {
  for (const name of SERVICES) {
    const module = (await import(`../../services/${name}/src/config.ts`)) as { loadConfig: ServiceFacts['loadConfig'] };
    let required: string[] = [];
    try {
      module.loadConfig({});
    } catch (error) {
      required = failingVariables(error);
      expect(required.length, `${name}: a config error that names no variable`).toBeGreaterThan(0);
    }
    // Fill what is required with valid values of the right shape to read the defaults.
    const filler: Env = Object.fromEntries(required.map((v) => [v, 'x'.repeat(48)]));
    const config = module.loadConfig(filler);
    const port = (config.ops?.port ?? config.port) as number;
    const databaseUrl = config.database?.url as string | undefined;
    const consumers = [...read(`services/${name}/src/config.ts`).matchAll(/listenerEnv\('([A-Z_]+)'/g)].map((m) =>
      (m[1] as string).toLowerCase().replace(/_/g, '-'),
    );
    facts.set(name, {
      name,
      loadConfig: module.loadConfig,
      required,
      port,
      database: databaseUrl ? new URL(databaseUrl).pathname.slice(1) : undefined,
      consumers,
    });
  }
});

/** Checks that an environment, as a deployment sets it, starts the service correctly. */
function expectStarts(service: ServiceFacts, env: Env, where: string) {
  for (const variable of service.required) expect(env[variable], `${where}: ${variable} is required`).toBeTruthy();
  let config: Obj = {};
  expect(() => (config = service.loadConfig(env)), `${where}: the config must load`).not.toThrow();
  const loopback = strings(config).filter((s) => /127\.0\.0\.1/.test(s));
  expect(loopback, `${where}: defaults that point at 127.0.0.1 must be overridden`).toEqual([]);
  return config;
}

describe('the code the deployment files are checked against', () => {
  it('finds the deployable services and their facts', () => {
    expect(SERVICES).toEqual(expect.arrayContaining(['site', 'audit', 'gateway']));
    expect(facts.get('gateway')?.required).toContain('JWT_SECRET');
    expect(facts.get('audit')?.consumers).toEqual(['audit']);
    expect(DRAIN_MS).toBeGreaterThan(0);
    for (const service of facts.values()) {
      const dir = join(ROOT, 'services', service.name, 'src');
      const sources = readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
        .map((f) => readFileSync(join(dir, f), 'utf8'));
      for (const consumer of service.consumers)
        expect(
          sources.some((text) => text.includes(`'${consumer}'`)),
          `${service.name}: consumer '${consumer}' named in its source`,
        ).toBe(true);
    }
  });

  it('serves /healthz and /readyz where the probes look (ops server and gateway routes)', async () => {
    const ops = buildOpsServer({
      registry: createMetricsRegistry('probe_test'),
      logger: createLogger({ service: 'probe-test', level: 'silent' }),
      readiness: { ok: () => true },
    });
    for (const url of ['/healthz', '/readyz', '/metrics']) expect((await ops.inject({ url })).statusCode).toBe(200);
    await ops.close();
    expect(read('services/gateway/src/routes/healthz.ts')).toContain(`app.get('/healthz'`);
    expect(read('services/gateway/src/routes/readyz.ts')).toContain(`app.get('/readyz'`);
  });
});

// ---------------------------------------------------------------------------------------
// docker-compose.yml

/** `${VAR}`, `${VAR:-default}`, `${VAR:?message}` against the variables of an .env file. */
function interpolate(value: unknown, dotenv: Env): string | undefined {
  if (value === null || value === undefined) return undefined;
  return String(value).replace(
    /\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}/g,
    (_m, name: string, op?: string, arg?: string) => {
      const set = dotenv[name];
      if (set) return set;
      if (op === '?') throw new Error(`${name} must be set: ${arg}`);
      return op === '-' ? (arg ?? '') : '';
    },
  );
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as Obj;
  const dotenv: Env = { JWT_SECRET: 'a-compose-secret-of-at-least-32-characters' };

  it('runs every service from its own image, built with its SERVICE and health port', () => {
    for (const name of SERVICES) {
      const service = compose.services[name];
      expect(service, `compose service ${name}`).toBeDefined();
      expect(service.image).toBe(`chom/${name}`);
      expect(service.build.dockerfile).toBe('deploy/docker/Dockerfile');
      expect(service.build.args.SERVICE).toBe(name);
      expect(Number(service.build.args.HEALTH_PORT)).toBe(facts.get(name)?.port);
      expect(service.stop_grace_period, `${name}: stop grace beyond the drain`).toMatch(/^\d+s$/);
      expect(Number.parseInt(service.stop_grace_period) * 1000).toBeGreaterThan(DRAIN_MS);
    }
  });

  it('sets every variable a service requires, and overrides every loopback default', () => {
    for (const name of SERVICES) {
      const raw = compose.services[name].environment as Record<string, unknown>;
      const env = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, interpolate(v, dotenv)]));
      const config = expectStarts(facts.get(name)!, env, `compose ${name}`);
      expect(config.ops?.port ?? config.port).toBe(facts.get(name)?.port);
      if (facts.get(name)?.database) expect(env.DATABASE_URL).toMatch(new RegExp(`/${facts.get(name)?.database}$`));
    }
    expect(() => interpolate(compose.services.gateway.environment.JWT_SECRET, {})).toThrow(/JWT_SECRET/);
  });

  it('starts in order: healthy broker and database, migrations done, healthy services before the gateway', () => {
    const { migrations, postgres, nats } = compose.services;
    expect(nats.command).toEqual(expect.arrayContaining(['-js', '-sd']));
    expect(nats.volumes.some((v: string) => v.startsWith('nats-data:'))).toBe(true);
    expect(postgres.healthcheck && nats.healthcheck).toBeTruthy();
    expect(migrations.build.target).toBe('migrations');
    expect(migrations.restart).toBe('no');
    for (const name of SERVICES) {
      const deps = compose.services[name].depends_on as Record<string, { condition: string }>;
      expect(deps.nats?.condition, `${name} waits for nats`).toBe('service_healthy');
      if (facts.get(name)?.database) {
        expect(deps.postgres?.condition).toBe('service_healthy');
        expect(deps.migrations?.condition).toBe('service_completed_successfully');
      }
    }
    const gatewayDeps = compose.services.gateway.depends_on as Record<string, { condition: string }>;
    for (const name of SERVICES.filter((s) => s !== 'gateway'))
      expect(gatewayDeps[name]?.condition).toBe('service_healthy');
  });

  it('creates one database per service on the first Postgres start', () => {
    const mount = (compose.services.postgres.volumes as string[]).find((v) => v.includes('docker-entrypoint-initdb.d'));
    expect(mount).toBeDefined();
    const sql = read(mount!.split(':')[0]!.replace(/^\.\//, ''));
    for (const service of facts.values())
      if (service.database) expect(sql).toMatch(new RegExp(`CREATE DATABASE ${service.database};`));
  });

  it('traces to Jaeger, and Prometheus scrapes every service with the rules', () => {
    expect(compose.services.jaeger.environment.COLLECTOR_OTLP_ENABLED).toBe('true');
    for (const name of SERVICES)
      expect(compose.services[name].environment.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://jaeger:4318');
    const volumes = (compose.services.prometheus.volumes as string[]).join(' ');
    expect(volumes).toContain('deploy/prometheus/rules');
    const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as Obj;
    const targets = prometheus.scrape_configs.flatMap((c: Obj) => c.static_configs.flatMap((s: Obj) => s.targets));
    for (const service of facts.values()) expect(targets).toContain(`${service.name}:${service.port}`);
  });
});

describe('deploy/docker/Dockerfile', () => {
  const dockerfile = read('deploy/docker/Dockerfile');
  it('builds a pruned, production-only, non-root image on Node LTS with tini and a healthcheck', () => {
    const major = Number(/ARG NODE_IMAGE=node:(\d+)/.exec(dockerfile)?.[1]);
    expect(major % 2, 'an LTS (even) Node major').toBe(0);
    expect(major).toBeGreaterThanOrEqual(22);
    expect(dockerfile).toMatch(/turbo prune .*--docker/);
    expect(dockerfile).toContain('npm prune --omit=dev');
    expect(dockerfile).toMatch(/ENTRYPOINT \["\/usr\/bin\/tini", "--"\]/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
    expect(dockerfile).toMatch(/--import @chom\/telemetry\/register/);
    expect(dockerfile).toMatch(/^FROM runtime AS migrations$/m);
    expect(dockerfile).toMatch(/^FROM runtime AS service$/m);
  });
});

// ---------------------------------------------------------------------------------------
// deploy/k8s (kustomize)

function kustomizer(): string[] | undefined {
  if (spawnSync('kustomize', ['version'], { stdio: 'ignore' }).status === 0) return ['kustomize', 'build'];
  if (spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0) return ['kubectl', 'kustomize'];
  return undefined;
}
const KUSTOMIZE = kustomizer();
if (!KUSTOMIZE) console.warn('SKIPPED: rendering the kustomizations needs `kustomize` or `kubectl`');

function render(dir: string): Obj[] {
  const [command, ...args] = KUSTOMIZE!;
  const result = spawnSync(command!, [...args, dir], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${KUSTOMIZE!.join(' ')} ${dir}: ${result.stderr}`);
  return parseAllDocuments(result.stdout).map((d) => d.toJS() as Obj);
}

/** A container's environment as the kubelet would set it, from the rendered ConfigMaps and Secrets. */
function containerEnv(container: Obj, objects: Obj[]): Env {
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  const secretData = (secret: Obj | undefined): Env => ({
    ...Object.fromEntries(
      Object.entries(secret?.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString()]),
    ),
    ...(secret?.stringData ?? {}),
  });
  const env: Env = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, find('ConfigMap', from.configMapRef.name)?.data);
    if (from.secretRef) Object.assign(env, secretData(find('Secret', from.secretRef.name)));
  }
  for (const entry of container.env ?? []) {
    if ('value' in entry) env[entry.name] = String(entry.value);
    const ref = entry.valueFrom?.configMapKeyRef ?? entry.valueFrom?.secretKeyRef;
    if (!ref) continue;
    const source = entry.valueFrom.configMapKeyRef
      ? (find('ConfigMap', ref.name)?.data ?? {})
      : secretData(find('Secret', ref.name));
    if (!ref.optional) expect(source[ref.key], `${entry.name}: ${ref.name}/${ref.key} must exist`).toBeDefined();
    env[entry.name] = source[ref.key];
  }
  return env;
}

describe('deploy/k8s kustomizations', () => {
  const kustomizations = ['base', 'overlays/dev', 'overlays/prod'];

  it('list only files that exist, and every overlay builds on the base', () => {
    for (const dir of kustomizations) {
      const k = parse(readFileSync(join(K8S, dir, 'kustomization.yaml'), 'utf8')) as Obj;
      expect(k.namespace).toBe('chom');
      for (const resource of k.resources as string[]) expect(existsSync(join(K8S, dir, resource)), resource).toBe(true);
      if (dir.startsWith('overlays/')) {
        expect(k.resources).toContain('../../base');
        const images = (k.images as Obj[]).map((i) => i.name);
        for (const name of [...SERVICES, 'migrations']) expect(images).toContain(`chom/${name}`);
      }
    }
    const base = parse(readFileSync(join(K8S, 'base/kustomization.yaml'), 'utf8')) as Obj;
    for (const name of SERVICES) expect(base.resources).toContain(`${name}.yaml`);
  });

  it('has NATS Helm values with JetStream on file storage, and the monitoring port KEDA reads', () => {
    const values = parse(readFileSync(join(K8S, 'nats/values.yaml'), 'utf8')) as Obj;
    expect(values.config.jetstream.enabled).toBe(true);
    expect(values.config.jetstream.fileStore.enabled).toBe(true);
    expect(values.config.jetstream.fileStore.pvc.enabled).toBe(true);
    expect(values.config.monitor.port).toBe(8222);
  });

  describe.skipIf(!KUSTOMIZE).each(kustomizations)('%s, rendered', (dir) => {
    let objects: Obj[] = [];
    const one = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata?.name === name);
    beforeAll(() => {
      objects = render(join(K8S, dir));
    });

    it('puts everything in the chom namespace, with a migrations Job and Jaeger', () => {
      expect(one('Namespace', 'chom')).toBeDefined();
      for (const o of objects.filter((o) => o.kind !== 'Namespace')) expect(o.metadata.namespace).toBe('chom');
      const job = one('Job', 'migrations');
      expect(job?.spec.template.spec.containers[0].image).toMatch(/(^|\/)chom\/migrations:/);
      expect(one('Deployment', 'jaeger')).toBeDefined();
      expect(one('Service', 'jaeger')?.spec.ports.map((p: Obj) => p.port)).toEqual(
        expect.arrayContaining([4318, 16686]),
      );
      expect(one('ConfigMap', 'chom-config')?.data.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://jaeger:4318');
    });

    it.each(SERVICES)('%s: a hardened Deployment with probes, resources, config and ports from the code', (name) => {
      const service = facts.get(name)!;
      const deployment = one('Deployment', name);
      expect(deployment, `Deployment ${name}`).toBeDefined();
      const pod = deployment!.spec.template.spec as Obj;
      const container = pod.containers.find((c: Obj) => c.name === name) as Obj;
      expect(container.image).toMatch(new RegExp(`(^|/)chom/${name}:[\\w.-]+$`));

      // Probes on the service's port, at the paths the code serves.
      const port = container.ports.find((p: Obj) => p.containerPort === service.port);
      expect(port, `${name}: containerPort ${service.port}`).toBeDefined();
      const probes = { startupProbe: '/healthz', livenessProbe: '/healthz', readinessProbe: '/readyz' };
      for (const [probe, path] of Object.entries(probes)) {
        expect(container[probe]?.httpGet.path, `${name}: ${probe}`).toBe(path);
        expect([port.name, port.containerPort]).toContain(container[probe].httpGet.port);
      }
      const annotations = deployment!.spec.template.metadata.annotations as Obj;
      expect(annotations['prometheus.io/scrape']).toBe('true');
      expect(Number(annotations['prometheus.io/port'])).toBe(service.port);

      expect(container.resources.requests.cpu && container.resources.requests.memory).toBeTruthy();
      expect(container.resources.limits.memory).toBeTruthy();

      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(container.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      const tmp = container.volumeMounts.find((m: Obj) => m.mountPath === '/tmp');
      expect(pod.volumes.find((v: Obj) => v.name === tmp?.name)?.emptyDir).toBeDefined();

      // Long enough for the preStop pause and the whole drain.
      const preStopSeconds = Number(container.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(DRAIN_MS + preStopSeconds * 1000);

      const config = expectStarts(service, containerEnv(container, objects), `${dir} ${name}`);
      expect(config.ops?.port ?? config.port).toBe(service.port);

      const svc = one('Service', name);
      expect(svc?.spec.ports.some((p: Obj) => p.port === service.port)).toBe(true);
      expect(one('PodDisruptionBudget', name)?.spec.selector.matchLabels).toEqual(
        deployment!.spec.selector.matchLabels,
      );
    });

    it.each(SERVICES)('%s: scaled by an HPA (no consumers) or KEDA on each consumer lag', (name) => {
      const service = facts.get(name)!;
      const stream = one('ConfigMap', 'chom-config')?.data.EVENTS_STREAM as string;
      const deployment = one('Deployment', name)!;
      expect(deployment.spec.replicas, 'the scaler owns the replica count').toBeUndefined();
      if (service.consumers.length === 0) {
        const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef.name === name);
        expect(hpa, `${name}: an HPA`).toBeDefined();
        expect(hpa!.spec.minReplicas).toBeGreaterThanOrEqual(1);
        expect(hpa!.spec.maxReplicas).toBeGreaterThan(hpa!.spec.minReplicas);
        return;
      }
      const scaled = objects.find((o) => o.kind === 'ScaledObject' && o.spec.scaleTargetRef.name === name);
      expect(scaled, `${name}: a KEDA ScaledObject`).toBeDefined();
      expect(scaled!.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      expect(scaled!.spec.maxReplicaCount).toBeGreaterThanOrEqual(scaled!.spec.minReplicaCount);
      const triggers = scaled!.spec.triggers as Obj[];
      expect(triggers.map((t) => t.metadata.consumer).sort()).toEqual([...service.consumers].sort());
      for (const trigger of triggers) {
        expect(trigger.type).toBe('nats-jetstream');
        expect(trigger.metadata).toMatchObject({ account: '$G', stream });
        expect(trigger.metadata.natsServerMonitoringEndpoint).toMatch(
          /^nats-headless\.chom\.svc\.cluster\.local:8222$/,
        );
        expect(Number(trigger.metadata.lagThreshold)).toBeGreaterThan(0);
      }
    });
  });
});
