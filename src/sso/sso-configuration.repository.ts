import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { readBoolean, readDate } from '../database/sql-values';
import { statement } from '../database/statement';

export type SsoConfigurationRecord = {
  readonly organizationId: string;
  readonly enabled: boolean;
  readonly idpEntityId: string | null;
  readonly idpSsoUrl: string | null;
  readonly idpCertificate: string | null;
  readonly allowIdpInitiated: boolean;
  readonly spPrivateKeyCiphertext: string;
  readonly spCertificate: string;
  readonly updatedAt: Date;
};

export type IdpConfiguration = { entityId: string; ssoUrl: string; certificatePem: string; allowIdpInitiated: boolean };

type ConfigurationRow = {
  organization_id: string;
  enabled: unknown;
  idp_entity_id: string | null;
  idp_sso_url: string | null;
  idp_certificate: string | null;
  allow_idp_initiated: unknown;
  sp_private_key_ciphertext: string;
  sp_certificate: string;
  updated_at: unknown;
};

const COLUMNS =
  'organization_id, enabled, idp_entity_id, idp_sso_url, idp_certificate, allow_idp_initiated, sp_private_key_ciphertext, sp_certificate, updated_at';
const BY_ORGANIZATION = statement<ConfigurationRow>(
  'sso.configurations.byOrganization',
  `SELECT ${COLUMNS} FROM sso_configurations WHERE organization_id = ?`,
);
// A sign-in holds this while it opens a session: disabling SSO waits for it, or it sees SSO disabled.
const BY_ORGANIZATION_SHARED = statement<ConfigurationRow>(
  'sso.configurations.byOrganizationShared',
  `SELECT ${COLUMNS} FROM sso_configurations WHERE organization_id = ?`,
  {
    lock: 'share',
  },
);
const ENABLED = statement<{ enabled: unknown }>(
  'sso.configurations.enabled',
  'SELECT enabled FROM sso_configurations WHERE organization_id = ?',
);
const INSERT = statement(
  'sso.configurations.insert',
  'INSERT INTO sso_configurations (organization_id, enabled, allow_idp_initiated, sp_private_key_ciphertext, sp_certificate, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
);
const CONFIGURE = statement(
  'sso.configurations.configure',
  'UPDATE sso_configurations SET enabled = ?, idp_entity_id = ?, idp_sso_url = ?, idp_certificate = ?, allow_idp_initiated = ?, updated_at = ? WHERE organization_id = ?',
);
const DISABLE = statement(
  'sso.configurations.disable',
  'UPDATE sso_configurations SET enabled = ?, idp_entity_id = NULL, idp_sso_url = NULL, idp_certificate = NULL, updated_at = ? WHERE organization_id = ?',
);

/** The sso_configurations table: one row per organization. */
@Injectable()
export class SsoConfigurationRepository {
  constructor(private readonly database: Database) {}

  async find(organizationId: string, options: { lockShared?: boolean } = {}): Promise<SsoConfigurationRecord | null> {
    const row = await this.database.first(options.lockShared ? BY_ORGANIZATION_SHARED : BY_ORGANIZATION, [organizationId]);
    return row ? toRecord(row) : null;
  }

  async isEnabled(organizationId: string): Promise<boolean> {
    const row = await this.database.first(ENABLED, [organizationId]);
    return row !== null && readBoolean(row.enabled);
  }

  /** The row with the service provider's key pair, SSO not yet configured. A concurrent insert makes this throw a unique violation. */
  async insertKeyPair(organizationId: string, spPrivateKeyCiphertext: string, spCertificate: string, now: Date): Promise<void> {
    await this.database.run(INSERT, [organizationId, false, true, spPrivateKeyCiphertext, spCertificate, now, now]);
  }

  async configure(organizationId: string, idp: IdpConfiguration, now: Date): Promise<boolean> {
    const result = await this.database.run(CONFIGURE, [
      true,
      idp.entityId,
      idp.ssoUrl,
      idp.certificatePem,
      idp.allowIdpInitiated,
      now,
      organizationId,
    ]);
    return result.affected > 0;
  }

  async disable(organizationId: string, now: Date): Promise<void> {
    await this.database.run(DISABLE, [false, now, organizationId]);
  }
}

function toRecord(row: ConfigurationRow): SsoConfigurationRecord {
  return {
    organizationId: row.organization_id,
    enabled: readBoolean(row.enabled),
    idpEntityId: row.idp_entity_id,
    idpSsoUrl: row.idp_sso_url,
    idpCertificate: row.idp_certificate,
    allowIdpInitiated: readBoolean(row.allow_idp_initiated),
    spPrivateKeyCiphertext: row.sp_private_key_ciphertext,
    spCertificate: row.sp_certificate,
    updatedAt: readDate(row.updated_at),
  };
}
