import { Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestContextOf } from '../common/request-context';
import { OrganizationHosts } from '../organizations/organization-hosts';
import { SsoEndpoint } from './session-auth';
import { SessionCookie } from './session-cookie';
import { SsoConfigurationService } from './sso-configuration.service';
import { SsoFailure } from './sso-failure';
import { failurePage, unknownOrganizationPage } from './sso-pages';
import { SsoSignInService } from './sso-sign-in.service';

const HTML = 'text/html; charset=utf-8';

/** The SAML service provider of the organization whose host the request names; an unknown host is 404. */
@ApiExcludeController()
@SsoEndpoint()
@Controller('sso')
export class SsoController {
  constructor(
    private readonly organizations: OrganizationHosts,
    private readonly configurations: SsoConfigurationService,
    private readonly signIn: SsoSignInService,
    private readonly cookie: SessionCookie,
  ) {}

  @Get('metadata')
  async metadata(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const organization = await this.organizations.findByHostname(request.hostname);
    if (!organization) {
      return notFound(reply);
    }
    await reply
      .status(200)
      .type('application/samlmetadata+xml; charset=utf-8')
      .send(await this.configurations.metadata(organization));
  }

  @Get('login')
  async login(@Req() request: FastifyRequest, @Query('returnTo') returnTo: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    const organization = await this.organizations.findByHostname(request.hostname);
    if (!organization) {
      return notFound(reply);
    }
    try {
      const location = await this.signIn.startSignIn(organization, typeof returnTo === 'string' ? returnTo : undefined);
      await reply.status(302).header('Cache-Control', 'no-store').header('Location', location).send();
    } catch (error) {
      await refused(reply, error);
    }
  }

  @Post('acs')
  async acs(@Req() request: FastifyRequest, @Body() form: Record<string, unknown> | undefined, @Res() reply: FastifyReply): Promise<void> {
    const organization = await this.organizations.findByHostname(request.hostname);
    if (!organization) {
      return notFound(reply);
    }
    // The HTTP-POST binding is an HTML form; a body of any other type is not a SAML message.
    const fields = isForm(request.headers['content-type']) ? (form ?? {}) : {};
    try {
      const signedIn = await this.signIn.completeSignIn(organization, fields, requestContextOf(request));
      await reply
        .status(303)
        .header('Cache-Control', 'no-store')
        .header('Set-Cookie', this.cookie.set(signedIn.token))
        .header('Location', signedIn.returnTo)
        .send();
    } catch (error) {
      await refused(reply, error);
    }
  }
}

function isForm(contentType: string | undefined): boolean {
  return /^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType ?? '');
}

async function notFound(reply: FastifyReply): Promise<void> {
  await reply.status(404).header('Cache-Control', 'no-store').type(HTML).send(unknownOrganizationPage());
}

async function refused(reply: FastifyReply, error: unknown): Promise<void> {
  if (!(error instanceof SsoFailure)) {
    throw error;
  }
  await reply.status(error.status).header('Cache-Control', 'no-store').type(HTML).send(failurePage(error.reason));
}
