import { describe, expect, it } from 'vitest';
import { bindValues, databaseDateText, readBoolean, readDate, readInteger, readNullableDate } from './sql-values';

describe('bindValues', () => {
  const at = new Date('2030-01-02T03:04:05.006Z');

  it('binds for SQLite: dates as TypeORM text, booleans as 1/0, integers as BigInt (INTEGER, not REAL)', () => {
    const bound = bindValues('sqlite', ['a', 7, 1.5, true, false, at, null, 9n], 'unit.bind');
    expect(bound).toEqual(['a', 7n, 1.5, 1, 0, '2030-01-02 03:04:05.006', null, 9n]);
  });

  it('binds for MySQL: integers as decimal strings (never DOUBLE), the rest as for SQLite', () => {
    const bound = bindValues('mysql', ['a', 7, -3, 1.5, true, at, null, 9n], 'unit.bind');
    expect(bound).toEqual(['a', '7', '-3', 1.5, 1, '2030-01-02 03:04:05.006', null, '9']);
  });

  it('passes bytes through', () => {
    const bytes = Buffer.from([1, 2, 3]);
    expect(bindValues('mariadb', [bytes], 'unit.bind')[0]).toBe(bytes);
  });

  it('refuses what would be stored wrongly, naming the statement and the position', () => {
    expect(() => bindValues('sqlite', [1, undefined as unknown as null], 'unit.bind')).toThrow('statement unit.bind: value 2 is undefined');
    expect(() => bindValues('mysql', [Number.POSITIVE_INFINITY], 'unit.bind')).toThrow('not a finite number');
    expect(() => bindValues('mysql', [new Date(Number.NaN)], 'unit.bind')).toThrow('years 1000-9999');
    expect(() => bindValues('sqlite', [new Date('+010000-01-01T00:00:00Z')], 'unit.bind')).toThrow('years 1000-9999');
  });

  it('formats dates exactly as TypeORM does for both databases (UTC, milliseconds)', () => {
    expect(databaseDateText(new Date('1999-12-31T23:59:59.999Z'))).toBe('1999-12-31 23:59:59.999');
    expect(databaseDateText(new Date('2024-02-29T00:00:00Z'))).toBe('2024-02-29 00:00:00.000');
  });
});

describe('reading values back', () => {
  it('reads dates from the MySQL driver (Date) and from SQLite text, with or without fractions, as UTC', () => {
    const date = new Date('2030-01-02T03:04:05.006Z');
    expect(readDate(date)).toBe(date);
    expect(readDate('2030-01-02 03:04:05.006')).toEqual(date);
    expect(readDate('2030-01-02 03:04:05')).toEqual(new Date('2030-01-02T03:04:05.000Z'));
    expect(readDate('2030-01-02 03:04:05.0069')).toEqual(date);
    expect(readDate('2030-01-02 03:04')).toEqual(new Date('2030-01-02T03:04:00.000Z'));
    expect(readDate('2030-01-02T03:04:05.006Z')).toEqual(date);
    expect(readDate('2030-01-02T05:04:05.006+02:00')).toEqual(date);
    expect(readNullableDate(null)).toBeNull();
    expect(() => readDate('yesterday')).toThrow('not a stored date');
    expect(() => readDate(1234)).toThrow('not a stored date');
  });

  it('reads booleans and integers whichever way each driver returns them', () => {
    expect([1, '1', true, 1n].map(readBoolean)).toEqual([true, true, true, true]);
    expect([0, '0', false, 0n].map(readBoolean)).toEqual([false, false, false, false]);
    expect(() => readBoolean(2)).toThrow('not a stored boolean');
    expect(readInteger('42')).toBe(42);
    expect(readInteger(42)).toBe(42);
    expect(readInteger(42n)).toBe(42);
    expect(() => readInteger('9007199254740993')).toThrow('not a stored integer');
    expect(() => readInteger('4.5')).toThrow('not a stored integer');
  });
});
