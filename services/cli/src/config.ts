import { DEFAULT_SUBJECT_SPACE, type SubjectSpace } from '@chom/contracts';

/** What the CLI reads from the environment: where NATS is and which subject space to operate. */
export interface CliConfig {
  nats: { servers: string; user?: string; pass?: string };
  space: SubjectSpace;
  jwtSecret: string | undefined;
}

export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  return {
    nats: {
      servers: env.NATS_URL ?? 'nats://127.0.0.1:4222',
      ...(env.NATS_USER ? { user: env.NATS_USER } : {}),
      ...(env.NATS_PASSWORD ? { pass: env.NATS_PASSWORD } : {}),
    },
    space: {
      stream: env.EVENTS_STREAM ?? DEFAULT_SUBJECT_SPACE.stream,
      events: env.EVENTS_SUBJECT_ROOT ?? DEFAULT_SUBJECT_SPACE.events,
      services: env.SERVICES_SUBJECT_ROOT ?? DEFAULT_SUBJECT_SPACE.services,
    },
    jwtSecret: env.JWT_SECRET,
  };
}
