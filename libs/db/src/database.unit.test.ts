import { describe, expect, it } from 'vitest';
import { maintenanceUrl } from './database.js';

describe('maintenanceUrl', () => {
  it('points at the postgres database of the same server, keeping credentials and options', () => {
    expect(maintenanceUrl('postgres://u:p@db:5433/chom_site?sslmode=require')).toEqual({
      url: 'postgres://u:p@db:5433/postgres?sslmode=require',
      database: 'chom_site',
    });
  });

  it('rejects a url without a database', () => {
    expect(() => maintenanceUrl('postgres://db:5432')).toThrow();
  });
});
