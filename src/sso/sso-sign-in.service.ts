import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { RequestContext } from '../common/request-context';
import { Settings } from '../config/settings';
import { Database } from '../database/database';
import { HostedOrganization } from '../organizations/organization-hosts';
import { LoginFlow } from '../sessions/sessions.repository';
import { OpenedSession, SessionsService } from '../sessions/sessions.service';
import { UserDirectory } from '../users/user-directory';
import { AssertionReplayCache } from './assertion-replay-cache';
import { safeReturnPath } from './return-path';
import { loadSamlLibrary, loadSamlResponseValidator } from './saml-library';
import { SamlRequestsRepository } from './saml-requests.repository';
import { SignInConfiguration, SsoConfigurationService } from './sso-configuration.service';
import { SsoFailure } from './sso-failure';
import { SsoMetrics } from './sso-metrics';

/** The flows a SAML response can complete (a sign-in link is the console's, not SAML's). */
type SamlLoginFlow = Exclude<LoginFlow, 'sign_in_link'>;

export type CompletedSignIn = OpenedSession & { readonly returnTo: string; readonly flow: SamlLoginFlow };

const EMAIL_ADDRESS_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
// The SAML response must answer a request within this long (and at most once).
const REQUEST_LIFETIME_MS = 10 * 60_000;
const DEFAULT_RETURN_PATH = '/';

/**
 * SAML sign-in for one organization: SP-initiated (a signed AuthnRequest, its id remembered for
 * the response) and IdP-initiated (only where allowed). A valid, first-seen assertion naming an
 * active user SCIM provisioned in this organization opens a session; nothing is ever created.
 */
@Injectable()
export class SsoSignInService {
  private readonly logger = new Logger(SsoSignInService.name);

  constructor(
    private readonly configurations: SsoConfigurationService,
    private readonly requests: SamlRequestsRepository,
    private readonly replayCache: AssertionReplayCache,
    private readonly users: UserDirectory,
    private readonly sessions: SessionsService,
    private readonly database: Database,
    private readonly settings: Settings,
    private readonly audit: AuditService,
    private readonly metrics: SsoMetrics,
  ) {}

  /** The identity provider URL (HTTP-Redirect binding) carrying a signed AuthnRequest; RelayState is only a reference to what is kept here. */
  async startSignIn(organization: HostedOrganization, returnTo: string | undefined): Promise<string> {
    const configuration = await this.configurations.forSignIn(organization);
    if (!configuration) {
      throw new SsoFailure('sso_not_configured');
    }
    const returnPath = returnTo === undefined || returnTo === '' ? DEFAULT_RETURN_PATH : safeReturnPath(returnTo);
    if (returnPath === null) {
      throw new SsoFailure('invalid_return_to');
    }
    // An xsd:ID must not start with a digit.
    const requestId = `_${randomBytes(20).toString('hex')}`;
    const relayState = randomBytes(24).toString('base64url');
    await this.requests.insert({
      id: requestId,
      organizationId: organization.id,
      relayStateHash: sha256(relayState),
      returnTo: returnPath,
      expiresAt: new Date(Date.now() + REQUEST_LIFETIME_MS),
    });
    const { SAML, ValidateInResponseTo } = await loadSamlLibrary();
    const saml = new SAML({
      callbackUrl: configuration.sp.acsUrl,
      issuer: configuration.sp.entityId,
      entryPoint: configuration.idp.ssoUrl,
      idpCert: configuration.idp.certificatePem,
      privateKey: this.configurations.signingKeyOf(configuration.record),
      signatureAlgorithm: 'sha256',
      identifierFormat: EMAIL_ADDRESS_FORMAT,
      // How the person authenticates is the identity provider's policy, not this service's.
      disableRequestedAuthnContext: true,
      generateUniqueId: () => requestId,
      validateInResponseTo: ValidateInResponseTo.never,
    });
    return saml.getAuthorizeUrlAsync(relayState, undefined, {});
  }

  /** Validates a posted response and opens a session; every refusal is audited and counted, then thrown as SsoFailure. */
  async completeSignIn(
    organization: HostedOrganization,
    form: { SAMLResponse?: unknown; RelayState?: unknown },
    context: RequestContext,
  ): Promise<CompletedSignIn> {
    try {
      const signedIn = await this.signIn(organization, form);
      this.metrics.login(signedIn.flow);
      await this.audit.record(
        {
          organizationId: organization.id,
          type: 'sso.login',
          actorUserId: signedIn.session.userId,
          targetType: 'user',
          targetId: signedIn.session.userId,
          detail: signedIn.flow,
        },
        context,
      );
      return signedIn;
    } catch (error) {
      if (error instanceof SsoFailure) {
        this.metrics.failure(error.reason);
        await this.auditFailure(organization, error, context);
      }
      throw error;
    }
  }

  private async signIn(organization: HostedOrganization, form: { SAMLResponse?: unknown; RelayState?: unknown }): Promise<CompletedSignIn> {
    const configuration = await this.configurations.forSignIn(organization);
    if (!configuration) {
      throw new SsoFailure('sso_not_configured');
    }
    const { validateSamlResponse } = await loadSamlResponseValidator();
    const assertion = await validateSamlResponse(form.SAMLResponse, {
      idp: configuration.idp,
      sp: configuration.sp,
      clockSkewMs: this.settings.sso.clockSkewMs,
      allowSha1: this.settings.sso.allowSha1,
    });
    if (!(await this.replayCache.firstUse(organization.id, assertion.assertionId, assertion.acceptableUntil))) {
      throw new SsoFailure('replayed');
    }
    const { flow, returnTo } = await this.answeredRequest(configuration, assertion.inResponseTo, form.RelayState);
    const session = await this.database.transaction(async () => {
      // Held until the session is written: disabling SSO or deactivating the user waits for this
      // sign-in and then ends its session, or this sign-in sees it done.
      if (!(await this.configurations.forSignIn(organization, { lockShared: true }))) {
        throw new SsoFailure('sso_not_configured');
      }
      const user = await this.users.findByUserName(organization.id, assertion.nameId, { lockShared: true });
      if (!user) {
        throw new SsoFailure((await this.users.wasDeleted(organization.id, assertion.nameId)) ? 'deactivated' : 'not_provisioned');
      }
      if (!user.active) {
        throw new SsoFailure('deactivated');
      }
      return this.sessions.open({ organizationId: organization.id, userId: user.id, loginFlow: flow });
    });
    return { ...session, flow, returnTo };
  }

  /** SP-initiated: the outstanding request of this organization it answers, taken once. IdP-initiated: allowed or not. */
  private async answeredRequest(
    configuration: SignInConfiguration,
    inResponseTo: string | null,
    relayState: unknown,
  ): Promise<{ flow: SamlLoginFlow; returnTo: string }> {
    if (inResponseTo === null) {
      if (!configuration.idp.allowIdpInitiated) {
        throw new SsoFailure('idp_initiated_disabled');
      }
      // An unsolicited RelayState is the identity provider's, not a reference of ours: ignored.
      return { flow: 'idp_initiated', returnTo: DEFAULT_RETURN_PATH };
    }
    const request = await this.requests.take(inResponseTo, configuration.organization.id);
    if (!request || request.expiresAt.getTime() <= Date.now()) {
      throw new SsoFailure('in_response_to_invalid');
    }
    const relayMatches = typeof relayState === 'string' && constantTimeEqualHex(sha256(relayState), request.relayStateHash);
    return { flow: 'sp_initiated', returnTo: relayMatches ? request.returnTo : DEFAULT_RETURN_PATH };
  }

  private async auditFailure(organization: HostedOrganization, failure: SsoFailure, context: RequestContext): Promise<void> {
    try {
      await this.audit.record(
        {
          organizationId: organization.id,
          type: 'sso.failed',
          targetType: 'organization',
          targetId: organization.id,
          detail: failure.reason,
        },
        context,
      );
    } catch (error) {
      this.logger.error(`could not audit a refused sign-in: ${String(error)}`);
    }
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function constantTimeEqualHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
