import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { api } from './harness.js';

export type Call = ReturnType<typeof api>;

export const run = promisify(execFile);

/** Creates a site and waits until it is active. */
export async function activeSite(call: Call, domain: string): Promise<string> {
  const created = await call('POST', '/api/v1/sites', { domain, siteType: 'wordpress' });
  expect(created.status).toBe(201);
  const id = (created.body as { id: string }).id;
  await expect
    .poll(async () => (await call('GET', `/api/v1/sites/${id}`)).body?.status, { timeout: 10_000, interval: 50 })
    .toBe('active');
  return id;
}

/**
 * Requests a backup; the backup service learns of the site's activation from the stream a
 * moment after the site service, so SITE_NOT_ACTIVE/SITE_NOT_FOUND are retried briefly.
 */
export async function requestBackup(call: Call, siteId: string, backupType = 'full'): Promise<{ id: string }> {
  let response: Awaited<ReturnType<Call>> | undefined;
  await expect
    .poll(
      async () => {
        response = await call('POST', `/api/v1/sites/${siteId}/backups`, { backupType });
        return response.status;
      },
      { timeout: 10_000, interval: 50 },
    )
    .toBe(202);
  return response?.body as { id: string };
}

export async function backupStatus(call: Call, backupId: string): Promise<string | undefined> {
  return (await call('GET', `/api/v1/backups/${backupId}`)).body?.status as string | undefined;
}

export async function auditActions(call: Call, resourceId: string): Promise<string[]> {
  const page = await call('GET', `/api/v1/audit-logs?resourceId=${resourceId}`);
  return ((page.body?.items as { action: string }[]) ?? []).map((e) => e.action).sort();
}

/** Every file under `dir` (relative paths). */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((f) => f.isFile()).map((f) => relative(dir, join(f.parentPath, f.name)));
}
