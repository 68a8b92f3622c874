import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryServiceDatabase } from '../../support/direct-database';
import { writeDirectly } from '../../support/direct-writes';
import { TestIdentityProvider } from '../../support/saml-idp';
import { ASSERTION, childSignature, forgedCopy, nameIdOf, PROTOCOL, signaturesOf, tamper } from '../../support/saml-tampering';
import {
  auditEvents,
  expectRefused,
  postAcs,
  provision,
  sessionCookieOf,
  setActive,
  SsoOrganization,
  ssoOrganization,
  startSignIn,
  trustIdp,
} from '../../support/sso';
import { createTestApp } from '../../support/test-app';

const MINUTE = 60_000;

/** Every rule of issue 14 on a real signed response: each test fails if its rule is removed. */
describe('single sign-on refuses what it must', () => {
  let app: INestApplication;
  let idp: TestIdentityProvider;
  let org: SsoOrganization;
  const user = 'grace@rules.test';
  const victim = 'victim@rules.test';

  beforeAll(async () => {
    app = await createTestApp();
    idp = await TestIdentityProvider.create();
    org = await ssoOrganization(app, 'rules');
    await trustIdp(app, org, idp);
    await provision(app, org, user);
    await provision(app, org, victim);
  });

  afterAll(async () => {
    await app?.close();
  });

  const signIn = (samlResponse: string, relayState?: string) => postAcs(app, org.hostname, samlResponse, relayState);

  it('accepts the control: the same response untouched signs in (so each refusal below is the rule)', async () => {
    for (const sign of ['assertion', 'response', 'both'] as const) {
      const response = await signIn(await idp.response(org.sp, { nameId: user, sign }));
      expect(response.status, `${sign}: ${response.text}`).toBe(303);
    }
  });

  describe('signatures', () => {
    it('refuses an unsigned response (the signatures of a real one removed)', async () => {
      const unsigned = tamper(await idp.response(org.sp, { nameId: user, sign: 'both' }), (document) => {
        for (const signature of signaturesOf(document.documentElement)) {
          signature.parentNode?.removeChild(signature);
        }
      });
      expectRefused(await signIn(unsigned), 401, 'signature_invalid');
    });

    it('refuses a response signed by another key than the configured certificate', async () => {
      const impostor = await TestIdentityProvider.create();
      const forged = await impostor.response(org.sp, { nameId: user, issuer: idp.entityId, sign: 'both' });
      expectRefused(await signIn(forged), 401, 'signature_invalid');
    });

    it('refuses a response whose signed content was changed (the NameID)', async () => {
      const changed = tamper(await idp.response(org.sp, { nameId: user }), (_document, { assertion }) => {
        nameIdOf(assertion).textContent = victim;
      });
      expectRefused(await signIn(changed), 401, 'signature_invalid');
    });

    it('refuses RSA-SHA1 (signature and digest), whether on the assertion or on the response', async () => {
      expectRefused(await signIn(await idp.response(org.sp, { nameId: user, algorithm: 'sha1' })), 401, 'weak_signature_algorithm');
      expectRefused(
        await signIn(await idp.response(org.sp, { nameId: user, algorithm: 'sha1', sign: 'response' })),
        401,
        'weak_signature_algorithm',
      );
    });

    it('accepts RSA-SHA512', async () => {
      expect((await signIn(await idp.response(org.sp, { nameId: user, algorithm: 'sha512', sign: 'both' }))).status).toBe(303);
    });
  });

  describe('signature wrapping (XSW), each built by rearranging a real signed response', () => {
    it('XSW: a forged assertion inserted before the signed one', async () => {
      const wrapped = tamper(await idp.response(org.sp, { nameId: user }), (_document, { response, assertion }) => {
        response.insertBefore(forgedCopy(assertion, victim), assertion);
      });
      expectRefused(await signIn(wrapped), 401, 'signature_invalid');
    });

    it('XSW: the signed assertion hidden inside a forged one (in its Advice)', async () => {
      const wrapped = tamper(await idp.response(org.sp, { nameId: user }), (document, { response, assertion }) => {
        const forged = forgedCopy(assertion, victim);
        const advice = document.createElementNS(ASSERTION, 'saml:Advice');
        response.replaceChild(forged, assertion);
        advice.appendChild(assertion);
        forged.appendChild(advice);
      });
      expectRefused(await signIn(wrapped), 401, 'signature_invalid');
    });

    it('XSW: the original signature moved onto a forged assertion that wraps the signed one', async () => {
      const wrapped = tamper(await idp.response(org.sp, { nameId: user }), (document, { response, assertion }) => {
        const forged = forgedCopy(assertion, victim);
        const signature = childSignature(assertion)!;
        forged.insertBefore(signature, forged.firstChild!.nextSibling);
        const advice = document.createElementNS(ASSERTION, 'saml:Advice');
        response.replaceChild(forged, assertion);
        advice.appendChild(assertion);
        forged.appendChild(advice);
      });
      expectRefused(await signIn(wrapped), 401, 'signature_invalid');
    });

    it("XSW: a forged assertion given the signed one's ID, the signature copied onto it", async () => {
      const wrapped = tamper(await idp.response(org.sp, { nameId: user }), (_document, { response, assertion }) => {
        const forged = forgedCopy(assertion, victim, assertion.getAttribute('ID')!);
        forged.insertBefore(childSignature(assertion)!.cloneNode(true), forged.firstChild!.nextSibling);
        response.replaceChild(forged, assertion);
      });
      expectRefused(await signIn(wrapped), 401, 'signature_invalid');
    });

    it('XSW: a signed response wrapped inside a forged, unsigned one', async () => {
      const wrapped = tamper(await idp.response(org.sp, { nameId: user, sign: 'response' }), (document, { response, assertion }) => {
        const outer = response.cloneNode(false) as Element;
        outer.setAttribute('ID', '_outer');
        for (const child of Array.from(response.childNodes)) {
          if (child !== assertion && child !== childSignature(response)) {
            outer.appendChild(child.cloneNode(true));
          }
        }
        outer.appendChild(forgedCopy(assertion, victim));
        const extensions = document.createElementNS(PROTOCOL, 'samlp:Extensions');
        extensions.appendChild(response.cloneNode(true));
        outer.insertBefore(extensions, outer.firstChild!.nextSibling);
        document.replaceChild(outer, response);
      });
      expectRefused(await signIn(wrapped), 401, 'signature_invalid');
    });

    it('refuses a comment inside the NameID, which the signature does not see', async () => {
      // Canonicalization drops comments: "grace@rules<!---->.test" still carries a valid signature.
      const commented = tamper(await idp.response(org.sp, { nameId: user }), (document, { assertion }) => {
        const nameId = nameIdOf(assertion);
        nameId.textContent = 'grace@rules';
        nameId.appendChild(document.createComment(''));
        nameId.appendChild(document.createTextNode('.test'));
      });
      expectRefused(await signIn(commented), 401, 'malformed_response');
    });
  });

  describe('addressing', () => {
    it('refuses another audience', async () => {
      expectRefused(
        await signIn(await idp.response(org.sp, { nameId: user, audience: 'http://other.localhost:3000/sso/metadata' })),
        401,
        'audience_mismatch',
      );
    });

    it('refuses another Destination', async () => {
      expectRefused(
        await signIn(await idp.response(org.sp, { nameId: user, destination: 'http://other.localhost:3000/sso/acs', sign: 'both' })),
        401,
        'destination_mismatch',
      );
    });

    it('refuses another Recipient', async () => {
      expectRefused(
        await signIn(await idp.response(org.sp, { nameId: user, recipient: 'http://other.localhost:3000/sso/acs' })),
        401,
        'recipient_mismatch',
      );
    });

    it('refuses another issuer, even signed with the configured key', async () => {
      expectRefused(
        await signIn(await idp.response(org.sp, { nameId: user, issuer: 'http://someone-else.localhost/saml' })),
        401,
        'issuer_mismatch',
      );
    });

    it('refuses a NameID format other than email or unspecified', async () => {
      const persistent = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
      expectRefused(await signIn(await idp.response(org.sp, { nameId: user, nameIdFormat: persistent })), 401, 'nameid_format_unsupported');
      const unspecified = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
      expect((await signIn(await idp.response(org.sp, { nameId: user, nameIdFormat: unspecified }))).status).toBe(303);
    });

    it('refuses a failure status even with a signed assertion', async () => {
      expectRefused(
        await signIn(await idp.response(org.sp, { nameId: user, statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Requester' })),
        401,
        'idp_error',
      );
    });

    it('refuses what is not a SAML response at all', async () => {
      expectRefused(await signIn('not base64 at all!'), 401, 'malformed_response');
      expectRefused(await signIn(Buffer.from('<html/>').toString('base64')), 401, 'malformed_response');
      const doctype =
        '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&a;</samlp:Response>';
      expectRefused(await signIn(Buffer.from(doctype).toString('base64')), 401, 'malformed_response');
      const noResponse = await request(app.getHttpServer()).post('/sso/acs').set('Host', org.hostname).type('form').send('RelayState=x');
      expectRefused(noResponse, 401, 'malformed_response');
      // The HTTP-POST binding is a form: the same fields as JSON are no SAML message.
      const json = await request(app.getHttpServer())
        .post('/sso/acs')
        .set('Host', org.hostname)
        .send({ SAMLResponse: await idp.response(org.sp, { nameId: user }) });
      expectRefused(json, 401, 'malformed_response');
    });
  });

  describe('time', () => {
    it('refuses an expired assertion, beyond the 3-minute skew, and accepts one within it', async () => {
      const past = new Date(Date.now() - 4 * MINUTE);
      expectRefused(
        await signIn(await idp.response(org.sp, { nameId: user, notBefore: new Date(Date.now() - 10 * MINUTE), notOnOrAfter: past })),
        401,
        'expired',
      );
      const justExpired = new Date(Date.now() - 2 * MINUTE);
      expect(
        (
          await signIn(
            await idp.response(org.sp, { nameId: user, notBefore: new Date(Date.now() - 10 * MINUTE), notOnOrAfter: justExpired }),
          )
        ).status,
      ).toBe(303);
    });

    it('refuses an expired SubjectConfirmationData while the conditions are still valid', async () => {
      const response = await idp.response(org.sp, {
        nameId: user,
        subjectNotOnOrAfter: new Date(Date.now() - 4 * MINUTE),
        notOnOrAfter: new Date(Date.now() + 5 * MINUTE),
      });
      expectRefused(await signIn(response), 401, 'expired');
    });

    it('refuses an assertion not yet valid beyond the skew, and accepts one within it', async () => {
      expectRefused(
        await signIn(
          await idp.response(org.sp, {
            nameId: user,
            notBefore: new Date(Date.now() + 4 * MINUTE),
            notOnOrAfter: new Date(Date.now() + 9 * MINUTE),
          }),
        ),
        401,
        'not_yet_valid',
      );
      expect(
        (
          await signIn(
            await idp.response(org.sp, {
              nameId: user,
              notBefore: new Date(Date.now() + 2 * MINUTE),
              notOnOrAfter: new Date(Date.now() + 9 * MINUTE),
            }),
          )
        ).status,
      ).toBe(303);
    });
  });

  describe('single use', () => {
    it('accepts an assertion once: the same response again is replayed', async () => {
      const response = await idp.response(org.sp, { nameId: user });
      expect((await signIn(response)).status).toBe(303);
      expectRefused(await signIn(response), 401, 'replayed');
    });

    it('refuses a new response with an assertion id already accepted', async () => {
      const assertionId = `_reused${Date.now()}`;
      expect((await signIn(await idp.response(org.sp, { nameId: user, assertionId }))).status).toBe(303);
      expectRefused(await signIn(await idp.response(org.sp, { nameId: user, assertionId })), 401, 'replayed');
    });
  });

  describe('InResponseTo', () => {
    it('accepts an answer to an outstanding request once; a second answer to it is refused', async () => {
      const started = await startSignIn(app, org, idp);
      expect((await signIn(await idp.response(org.sp, { nameId: user, inResponseTo: started.id }), started.relayState!)).status).toBe(303);
      expectRefused(
        await signIn(await idp.response(org.sp, { nameId: user, inResponseTo: started.id }), started.relayState!),
        401,
        'in_response_to_invalid',
      );
    });

    it('refuses an answer to a request this service never sent', async () => {
      expectRefused(await signIn(await idp.response(org.sp, { nameId: user, inResponseTo: '_never-sent' })), 401, 'in_response_to_invalid');
    });

    it('refuses an answer to a request older than 10 minutes', async () => {
      const started = await startSignIn(app, org, idp);
      await writeDirectly(app, (dataSource) =>
        dataSource.query('UPDATE sso_requests SET expires_at = ? WHERE id = ?', ['2000-01-01 00:00:00', started.id]),
      );
      expectRefused(
        await signIn(await idp.response(org.sp, { nameId: user, inResponseTo: started.id }), started.relayState!),
        401,
        'in_response_to_invalid',
      );
    });

    it('refuses an unsigned Response@InResponseTo added to an unsolicited assertion', async () => {
      const started = await startSignIn(app, org, idp);
      const dressed = tamper(await idp.response(org.sp, { nameId: user }), (_document, { response }) => {
        response.setAttribute('InResponseTo', started.id);
      });
      expectRefused(await signIn(dressed, started.relayState!), 401, 'in_response_to_invalid');
    });
  });

  describe('who may sign in', () => {
    it('refuses a user this organization never provisioned (no just-in-time creation)', async () => {
      expectRefused(await signIn(await idp.response(org.sp, { nameId: 'stranger@rules.test' })), 403, 'not_provisioned');
      const users = await queryServiceDatabase<{ n: number }>('SELECT COUNT(*) AS n FROM users WHERE user_name = ?', [
        'stranger@rules.test',
      ]);
      expect(Number(users[0].n)).toBe(0);
    });

    it('refuses a deactivated user, and a deleted one, as deactivated', async () => {
      const deactivated = await provision(app, org, 'leaver@rules.test');
      await setActive(app, org, deactivated, false);
      expectRefused(await signIn(await idp.response(org.sp, { nameId: 'leaver@rules.test' })), 403, 'deactivated');
      const deleted = await provision(app, org, 'gone@rules.test');
      await request(app.getHttpServer()).delete(`/scim/v2/Users/${deleted}`).auth(org.scim.username, org.scim.password).expect(204);
      expectRefused(await signIn(await idp.response(org.sp, { nameId: 'GONE@rules.test' })), 403, 'deactivated');
    });

    it('matches the NameID to the userName as SCIM compares userNames (case, invisible characters, surrounding space)', async () => {
      const response = await signIn(await idp.response(org.sp, { nameId: ' GRACE@rules.\u200btest ' }));
      expect(response.status).toBe(303);
    });
  });

  it('audits each refusal as sso.failed with its reason and nothing of the assertion, and counts it', async () => {
    expectRefused(await signIn(await idp.response(org.sp, { nameId: 'secret-name@rules.test' })), 403, 'not_provisioned');
    const [latest] = await auditEvents(app, org, 1);
    expect(latest).toMatchObject({
      type: 'sso.failed',
      detail: 'not_provisioned',
      target: { type: 'organization', id: org.organizationId },
    });
    expect(JSON.stringify(await auditEvents(app, org))).not.toContain('secret-name');
    const metrics = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/sso_login_failures_total\{reason="not_provisioned"\} [1-9]/);
    expect(metrics.text).toMatch(/sso_login_failures_total\{reason="signature_invalid"\} [1-9]/);
    expect(metrics.text).toMatch(/sso_logins_total\{flow="idp_initiated"\} [1-9]/);
  });

  it('audits a sign-in as sso.login with the user and the flow', async () => {
    const userId = await provision(app, org, 'audited@rules.test');
    const started = await startSignIn(app, org, idp);
    const response = await signIn(
      await idp.response(org.sp, { nameId: 'audited@rules.test', inResponseTo: started.id }),
      started.relayState!,
    );
    sessionCookieOf(response);
    const [latest] = await auditEvents(app, org, 1);
    expect(latest).toMatchObject({ type: 'sso.login', detail: 'sp_initiated', actor: { userId }, target: { type: 'user', id: userId } });
  });
});
