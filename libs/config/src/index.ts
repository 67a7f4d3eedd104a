export {
  ConfigError,
  LogLevel,
  MillisList,
  OnOff,
  PlanCacheMode,
  Port,
  PostgresUrl,
  StreamName,
  SubjectRoot,
  int,
  optional,
  parseEnv,
  withDefault,
} from './env.js';
export {
  databaseEnv,
  databaseSettings,
  listenerEnv,
  listenerSettings,
  processEnv,
  processSettings,
} from './service-env.js';
export type { DatabaseEnv, DatabaseSettings, ListenerDefaults, ListenerSettings, ProcessEnv } from './service-env.js';
