import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { BasicStrategy } from 'passport-http';
import { ScimPrincipal } from './principal';
import { ScimCredentialVerifier, ScimVerification } from './scim-credential-verifier';

export const SCIM_BASIC_STRATEGY = 'scim-basic';

/** Why verification failed, left on the request for ScimRequestAuthenticator to count and audit. */
export type RequestWithScimFailure = {
  hostname?: string;
  scimAuthFailure?: Extract<ScimVerification, { ok: false }> & { username: string };
};

/** passport-http parses the Basic header (RFC 7617); the verifier decides. */
@Injectable()
export class ScimBasicStrategy extends PassportStrategy(BasicStrategy, SCIM_BASIC_STRATEGY) {
  constructor(private readonly verifier: ScimCredentialVerifier) {
    super({ passReqToCallback: true });
  }

  async validate(req: RequestWithScimFailure, username: string, password: string): Promise<ScimPrincipal | false> {
    const result = await this.verifier.verify(username, password, req.hostname);
    if (result.ok) {
      return result.principal;
    }
    req.scimAuthFailure = { ...result, username };
    return false;
  }
}
