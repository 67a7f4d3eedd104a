import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { SubjectSpace } from '@chom/contracts';
import { isNotFound } from '../streams.js';

export interface TestSpace {
  space: SubjectSpace;
  /** Deletes the test stream, and with it its consumers. */
  cleanup(nc: NatsConnection): Promise<void>;
}

/** A subject space no other test file shares: stream `T_<random>`, roots `t<random>.events` and `t<random>.svc`. */
export function createTestSpace(): TestSpace {
  const id = randomBytes(6).toString('hex');
  const space: SubjectSpace = { stream: `T_${id}`, events: `t${id}.events`, services: `t${id}.svc` };
  return {
    space,
    async cleanup(nc) {
      const jsm = await jetstreamManager(nc);
      try {
        await jsm.streams.delete(space.stream);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
  };
}
