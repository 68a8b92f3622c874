import { Injectable } from '@nestjs/common';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error';
import { Database } from '../database/database';
import { isUniqueViolation } from '../database/database-error';
import { HostedOrganization, OrganizationHosts } from '../organizations/organization-hosts';
import { CredentialCrypto } from '../secrets/credential-crypto';
import { SessionsService } from '../sessions/sessions.service';
import { IdpCertificate, readIdpCertificate } from './idp-certificate';
import { IdpSettingsInput, readIdpSettings } from './idp-settings';
import { loadSamlLibrary } from './saml-library';
import { generateServiceProviderKeyPair } from './service-provider-key';
import { ServiceProviderUrls, ServiceProviderUrlsFactory } from './service-provider-urls';
import { IdpConfiguration, SsoConfigurationRecord, SsoConfigurationRepository } from './sso-configuration.repository';

const EMAIL_ADDRESS_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

/** An organization's single sign-on, as the admin API shows it. */
export type SsoConfigurationView = {
  readonly enabled: boolean;
  readonly idp: { readonly entityId: string; readonly ssoUrl: string; readonly certificate: IdpCertificate } | null;
  readonly allowIdpInitiated: boolean;
  readonly sp: ServiceProviderUrls & { readonly certificatePem: string };
};

/** What sign-in needs: the organization's trusted identity provider and this service's own side. */
export type SignInConfiguration = {
  readonly organization: HostedOrganization;
  readonly idp: IdpConfiguration;
  readonly sp: ServiceProviderUrls;
  readonly record: SsoConfigurationRecord;
};

/**
 * Each organization's SAML service-provider key pair (made on first use, the private key stored
 * encrypted and bound to its row) and its identity provider's settings.
 */
@Injectable()
export class SsoConfigurationService {
  constructor(
    private readonly configurations: SsoConfigurationRepository,
    private readonly database: Database,
    private readonly crypto: CredentialCrypto,
    private readonly urls: ServiceProviderUrlsFactory,
    private readonly organizations: OrganizationHosts,
    private readonly sessions: SessionsService,
  ) {}

  async organization(organizationId: string): Promise<HostedOrganization> {
    const organization = await this.organizations.findById(organizationId);
    if (!organization) {
      throw notFound('Organization');
    }
    return organization;
  }

  /** The organization's configuration, its key pair created on this first read if need be. */
  async view(organization: HostedOrganization): Promise<SsoConfigurationView> {
    return this.toView(organization, await this.record(organization));
  }

  /** Validates and stores the identity provider's settings (every problem in one 400); SSO is enabled. */
  async configure(
    organization: HostedOrganization,
    input: IdpSettingsInput & { allowIdpInitiated?: boolean },
  ): Promise<{ view: SsoConfigurationView; warnings: string[] }> {
    const reading = readIdpSettings(input);
    if (!reading.settings) {
      throw new DomainError(DomainErrorCode.InvalidInput, reading.problems.join(' '));
    }
    await this.record(organization);
    const { entityId, ssoUrl, certificate } = reading.settings;
    await this.configurations.configure(
      organization.id,
      { entityId, ssoUrl, certificatePem: certificate.pem, allowIdpInitiated: input.allowIdpInitiated ?? true },
      new Date(),
    );
    return { view: await this.view(organization), warnings: reading.warnings };
  }

  /** Disables SSO and ends every session of the organization in one transaction; returns how many ended. */
  async disable(organization: HostedOrganization): Promise<number> {
    await this.record(organization);
    return this.database.transaction(async () => {
      await this.configurations.disable(organization.id, new Date());
      return this.sessions.revokeAllOfOrganization(organization.id, 'sso_disabled');
    });
  }

  /** The configuration a sign-in uses, or null when SSO is not enabled. `lockShared` inside a sign-in's transaction. */
  async forSignIn(organization: HostedOrganization, options: { lockShared?: boolean } = {}): Promise<SignInConfiguration | null> {
    const record = await this.configurations.find(organization.id, options);
    if (!record?.enabled || !record.idpEntityId || !record.idpSsoUrl || !record.idpCertificate) {
      return null;
    }
    const idp = {
      entityId: record.idpEntityId,
      ssoUrl: record.idpSsoUrl,
      certificatePem: record.idpCertificate,
      allowIdpInitiated: record.allowIdpInitiated,
    };
    return { organization, idp, sp: this.urls.forHostname(organization.hostname), record };
  }

  async isEnabled(organizationId: string): Promise<boolean> {
    return this.configurations.isEnabled(organizationId);
  }

  /** The SP metadata XML an identity provider reads: entity id, ACS (HTTP-POST), NameID email, signed requests with this certificate. */
  async metadata(organization: HostedOrganization): Promise<string> {
    const record = await this.record(organization);
    const sp = this.urls.forHostname(organization.hostname);
    const { generateServiceProviderMetadata } = await loadSamlLibrary();
    return generateServiceProviderMetadata({
      issuer: sp.entityId,
      callbackUrl: sp.acsUrl,
      identifierFormat: EMAIL_ADDRESS_FORMAT,
      publicCerts: record.spCertificate,
      // Only what says that requests are signed, and with which certificate: the metadata itself is not signed.
      privateKey: this.signingKeyOf(record),
      wantAssertionsSigned: false,
    });
  }

  signingKeyOf(record: SsoConfigurationRecord): string {
    return this.crypto.decrypt(record.spPrivateKeyCiphertext, keyBinding(record.organizationId));
  }

  private async record(organization: HostedOrganization): Promise<SsoConfigurationRecord> {
    const existing = await this.configurations.find(organization.id);
    if (existing) {
      return existing;
    }
    const pair = await generateServiceProviderKeyPair(organization.hostname);
    try {
      await this.configurations.insertKeyPair(
        organization.id,
        this.crypto.encrypt(pair.privateKeyPem, keyBinding(organization.id)),
        pair.certificatePem,
        new Date(),
      );
    } catch (error) {
      // Two first reads at once: the primary key keeps one key pair, and both use it.
      if (!isUniqueViolation(error)) {
        throw error;
      }
    }
    const created = await this.configurations.find(organization.id);
    if (!created) {
      throw new Error('the single sign-on configuration row vanished after it was created');
    }
    return created;
  }

  private toView(organization: HostedOrganization, record: SsoConfigurationRecord): SsoConfigurationView {
    const certificate = record.idpCertificate ? readIdpCertificate(record.idpCertificate, 'idpCertificate') : null;
    const idp =
      record.enabled && record.idpEntityId && record.idpSsoUrl && certificate && typeof certificate !== 'string'
        ? { entityId: record.idpEntityId, ssoUrl: record.idpSsoUrl, certificate }
        : null;
    return {
      enabled: idp !== null,
      idp,
      allowIdpInitiated: record.allowIdpInitiated,
      sp: { ...this.urls.forHostname(organization.hostname), certificatePem: record.spCertificate },
    };
  }
}

/** The private key's ciphertext is bound to its organization: copied to another row, it does not decrypt. */
function keyBinding(organizationId: string): string {
  return `sso-sp-key:${organizationId}`;
}
