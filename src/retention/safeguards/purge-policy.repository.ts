import { Injectable } from '@nestjs/common';
import { Database } from '../../database/database';
import { isUniqueViolation } from '../../database/database-error';
import { readBoolean, readInteger } from '../../database/sql-values';
import { statement } from '../../database/statement';
import { DEFAULT_PURGE_POLICY, PurgePolicy } from './purge-policy';

type PolicyRow = { grace_seconds: unknown; breaker_enabled: unknown; breaker_threshold: unknown; breaker_window_seconds: unknown };

const POLICY_COLUMNS = 'grace_seconds, breaker_enabled, breaker_threshold, breaker_window_seconds';
const BY_ORGANIZATION = statement<PolicyRow>(
  'retention.purgePolicies.byOrganization',
  `SELECT ${POLICY_COLUMNS} FROM purge_policies WHERE organization_id = ?`,
);
const LOCK_BY_ORGANIZATION = statement<PolicyRow>(
  'retention.purgePolicies.lockByOrganization',
  `SELECT ${POLICY_COLUMNS} FROM purge_policies WHERE organization_id = ?`,
  { lock: 'update' },
);
const INSERT_DEFAULTS = statement(
  'retention.purgePolicies.insertDefaults',
  `INSERT INTO purge_policies (organization_id, ${POLICY_COLUMNS}) VALUES (?, ?, ?, ?, ?)`,
);
const UPDATE = statement(
  'retention.purgePolicies.update',
  'UPDATE purge_policies SET grace_seconds = ?, breaker_enabled = ?, breaker_threshold = ?, breaker_window_seconds = ?, updated_at = ?, updated_by = ? ' +
    'WHERE organization_id = ?',
);

/** The purge_policies table: one row per organization that has one (no row: DEFAULT_PURGE_POLICY). */
@Injectable()
export class PurgePolicyRepository {
  /** Organizations whose row this process knows to exist (rows are never deleted). */
  private readonly known = new Set<string>();

  constructor(private readonly database: Database) {}

  async find(organizationId: string): Promise<PurgePolicy> {
    const row = await this.database.first(BY_ORGANIZATION, [organizationId]);
    return row ? toPolicy(row) : DEFAULT_PURGE_POLICY;
  }

  /**
   * The organization's policy row, locked until the caller's transaction ends: what serialises the
   * organization's deactivations. Null when the row is missing (ensureRow was not called).
   */
  async lock(organizationId: string): Promise<PurgePolicy | null> {
    const row = await this.database.first(LOCK_BY_ORGANIZATION, [organizationId]);
    return row ? toPolicy(row) : null;
  }

  /**
   * Creates the organization's row with the defaults unless it exists. Outside any transaction (a
   * statement of its own): two first deactivations inserting it inside theirs would deadlock on MySQL.
   */
  async ensureRow(organizationId: string): Promise<void> {
    if (this.known.has(organizationId)) {
      return;
    }
    if (!(await this.database.first(BY_ORGANIZATION, [organizationId]))) {
      await this.insertDefaults(organizationId);
    }
    this.known.add(organizationId);
  }

  /** Inserts the organization's row with the defaults; a row already there is kept. */
  async insertDefaults(organizationId: string): Promise<void> {
    const { graceSeconds, massDeactivation } = DEFAULT_PURGE_POLICY;
    try {
      await this.database.run(INSERT_DEFAULTS, [
        organizationId,
        graceSeconds,
        massDeactivation.enabled,
        massDeactivation.threshold,
        massDeactivation.windowSeconds,
      ]);
    } catch (error) {
      if (!isUniqueViolation(error)) {
        throw error;
      }
    }
  }

  /** Writes the whole policy (the row exists: ensureRow). */
  async update(organizationId: string, policy: PurgePolicy, updatedBy: string, now: Date): Promise<void> {
    const { graceSeconds, massDeactivation } = policy;
    await this.database.run(UPDATE, [
      graceSeconds,
      massDeactivation.enabled,
      massDeactivation.threshold,
      massDeactivation.windowSeconds,
      now,
      updatedBy,
      organizationId,
    ]);
  }
}

function toPolicy(row: PolicyRow): PurgePolicy {
  return {
    graceSeconds: readInteger(row.grace_seconds),
    massDeactivation: {
      enabled: readBoolean(row.breaker_enabled),
      threshold: readInteger(row.breaker_threshold),
      windowSeconds: readInteger(row.breaker_window_seconds),
    },
  };
}
