import { describe, expect, it } from 'vitest';
import { checkDataAccess, declaredStatements, SourceText } from './data-access-rules';

function check(path: string, text: string) {
  return checkDataAccess([{ path, text }]).map(({ rule, line, detail }) => ({ rule, line, detail }));
}

describe('data-access rules on fixture text', () => {
  it('flags a service that injects TypeORM data access', () => {
    const text = [
      "import { Injectable } from '@nestjs/common';",
      "import { DataSource, EntityManager } from 'typeorm';",
      "import { InjectRepository } from '@nestjs/typeorm';",
    ].join('\n');
    expect(check('src/users/users.service.ts', text)).toEqual([
      { rule: 'service-data-access', line: 2, detail: 'imports DataSource, EntityManager from typeorm' },
      { rule: 'service-data-access', line: 3, detail: 'imports InjectRepository from @nestjs/typeorm' },
    ]);
  });

  it("flags a controller that pings through terminus' TypeORM indicator", () => {
    const text = "import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';";
    expect(check('src/health/health.controller.ts', text)).toEqual([
      { rule: 'service-data-access', line: 1, detail: 'imports TypeOrmHealthIndicator from @nestjs/terminus' },
    ]);
    expect(check('src/health/health.controller.ts', "import { HealthCheckService } from '@nestjs/terminus';")).toEqual([]);
  });

  it('flags SQL text in a controller, whole statements and fragments, in strings and templates', () => {
    const text = [
      'const a = `SELECT u.id FROM users u WHERE ${where}`;',
      "const b = 'u.deleted_at IS NULL';",
      "const c = 'e.email = ?';",
      "const d = 'Select the user from the list';",
      "const e = 'Deleted users are hidden';",
    ].join('\n');
    expect(check('src/scim/scim-users.controller.ts', text).map(({ line, rule }) => ({ line, rule }))).toEqual([
      { line: 1, rule: 'service-data-access' },
      { line: 2, rule: 'service-data-access' },
      { line: 3, rule: 'service-data-access' },
    ]);
  });

  it('allows the drivers in src/database only, whatever the import form', () => {
    const text = [
      "import Database from 'better-sqlite3';",
      "import { createConnection } from 'mysql2/promise';",
      "type Row = import('mysql2').RowDataPacket;",
      "const x = require('mysql2');",
    ].join('\n');
    expect(check('src/database/borrowed-connections.ts', text)).toEqual([]);
    expect(check('src/health/redis.health.ts', text).map(({ rule, line }) => ({ rule, line }))).toEqual([
      { rule: 'driver-import', line: 1 },
      { rule: 'driver-import', line: 2 },
      { rule: 'driver-import', line: 3 },
      { rule: 'driver-import', line: 4 },
    ]);
  });

  it('lets a repository hold SQL only inside statement() and statementFamily(), and never TypeORM or the legacy helpers', () => {
    const good = [
      "import { Database } from '../database/database';",
      "import { statement, statementFamily } from '../database/statement';",
      "const FIND = statement('users.findById', 'SELECT u.id FROM users u WHERE u.id = ?');",
      "const LIST = statementFamily('users.list', (where: string) => `SELECT u.id FROM users u WHERE ${where} ORDER BY u.id`);",
      "const BY_EMAIL = 'u.email = ?';",
    ].join('\n');
    expect(check('src/users/users.repository.ts', good)).toEqual([]);
    const bad = [
      "import { Repository } from 'typeorm';",
      "import { PreparedSql } from '../database/prepared-sql';",
      "const FIND = 'SELECT u.id FROM users u WHERE u.id = ?';",
    ].join('\n');
    expect(check('src/users/users.repository.ts', bad).map(({ rule, line }) => ({ rule, line }))).toEqual([
      { rule: 'repository-bypass', line: 1 },
      { rule: 'repository-bypass', line: 2 },
      { rule: 'repository-bypass', line: 3 },
    ]);
  });

  it('flags other files outside src/database, but not entities, modules, migrations or specs', () => {
    const text = "import { EntityManager } from 'typeorm';\nconst q = 'SELECT id FROM files WHERE user_id = ?';";
    expect(check('src/history/history-owner.ts', text).map(({ rule }) => rule)).toEqual(['data-access-elsewhere', 'data-access-elsewhere']);
    for (const path of [
      'src/history/message.entity.ts',
      'src/history/history.module.ts',
      'src/database/migrations/1-x.ts',
      'src/history/history.service.spec.ts',
    ]) {
      expect(check(path, text)).toEqual([]);
    }
  });

  it('lists declared statements by their literal names', () => {
    const files: SourceText[] = [
      {
        path: 'src/users/users.repository.ts',
        text: "const A = statement('users.findById', 'SELECT 1');\nconst B = statementFamily('users.list', (w: string) => w);\nconst C = statement(name, 'SELECT 2');",
      },
    ];
    expect(checkDataAccess(files).map(({ rule, line }) => ({ rule, line }))).toEqual([{ rule: 'repository-bypass', line: 3 }]);
    expect(declaredStatements(files)).toEqual([
      { name: 'users.findById', kind: 'statement', file: 'src/users/users.repository.ts', line: 1 },
      { name: 'users.list', kind: 'family', file: 'src/users/users.repository.ts', line: 2 },
    ]);
  });
});
