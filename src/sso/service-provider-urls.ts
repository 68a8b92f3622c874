import { Injectable } from '@nestjs/common';
import { Settings } from '../config/settings';

/** The URLs an identity provider is given for one organization, exact as they are printed. */
export type ServiceProviderUrls = {
  readonly entityId: string;
  readonly metadataUrl: string;
  readonly acsUrl: string;
  readonly loginUrl: string;
  /** The external URL is https: the session cookie is Secure. */
  readonly secure: boolean;
};

/** From ORGANIZATION_URL_TEMPLATE, so the URLs an Okta administrator copies are the ones checked. */
@Injectable()
export class ServiceProviderUrlsFactory {
  constructor(private readonly settings: Settings) {}

  forHostname(hostname: string): ServiceProviderUrls {
    const base = this.settings.sso.organizationUrlTemplate.replaceAll('{hostname}', hostname);
    return {
      // The metadata URL doubles as the entity id: unique per organization, and it resolves.
      entityId: `${base}/sso/metadata`,
      metadataUrl: `${base}/sso/metadata`,
      acsUrl: `${base}/sso/acs`,
      loginUrl: `${base}/sso/login`,
      secure: base.startsWith('https:'),
    };
  }
}
