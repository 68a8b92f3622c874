import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import * as x509 from '@peculiar/x509';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../support/admin-api';
import { TestIdentityProvider } from '../../support/saml-idp';
import { auditEvents, SsoOrganization, ssoOrganization } from '../../support/sso';
import { createTestApp } from '../../support/test-app';

type SsoBody = {
  enabled: boolean;
  idpEntityId: string | null;
  idpSsoUrl: string | null;
  idpCertificateFingerprint: string | null;
  idpCertificateNotAfter: string | null;
  allowIdpInitiated: boolean;
  sp: { entityId: string; acsUrl: string; metadataUrl: string; loginUrl: string; signingCertificate: string };
  warnings: string[];
};

describe('admin API: /admin/v1/organization/sso', () => {
  let app: INestApplication;
  let idp: TestIdentityProvider;
  let org: SsoOrganization;

  beforeAll(async () => {
    app = await createTestApp();
    idp = await TestIdentityProvider.create();
    org = await ssoOrganization(app, 'admin');
  });

  afterAll(async () => {
    await app?.close();
  });

  const get = async (): Promise<SsoBody> =>
    (await adminRequest(app, 'get', '/admin/v1/organization/sso', org.apiKey).expect(200)).body as SsoBody;
  const put = (body: object) => adminRequest(app, 'put', '/admin/v1/organization/sso', org.apiKey, body);

  it('before configuration: enabled false, the sp block filled, one key pair kept across reads', async () => {
    const before = await get();
    expect(before).toEqual({
      enabled: false,
      idpEntityId: null,
      idpSsoUrl: null,
      idpCertificateFingerprint: null,
      idpCertificateNotAfter: null,
      allowIdpInitiated: true,
      sp: {
        entityId: `http://${org.hostname}:3000/sso/metadata`,
        acsUrl: `http://${org.hostname}:3000/sso/acs`,
        metadataUrl: `http://${org.hostname}:3000/sso/metadata`,
        loginUrl: `http://${org.hostname}:3000/sso/login`,
        signingCertificate: expect.stringMatching(/^-----BEGIN CERTIFICATE-----\n/) as string,
      },
      warnings: [],
    });
    expect((await get()).sp.signingCertificate).toBe(before.sp.signingCertificate);
    expect(new X509Certificate(before.sp.signingCertificate).publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('stores the SP private key encrypted, never in the clear', async () => {
    // What is on disk is the point; the API never returns the private key.
    const [row] = await app
      .get(DataSource)
      .query<{ sp_private_key_ciphertext: string }[]>(
        'SELECT sp_private_key_ciphertext FROM sso_configurations WHERE organization_id = ?',
        [org.organizationId],
      );
    expect(row.sp_private_key_ciphertext).toMatch(/^v2:[0-9a-f]{16}:[A-Za-z0-9+/=]+$/);
    expect(row.sp_private_key_ciphertext).not.toContain('PRIVATE KEY');
  });

  it('configures from the identity provider metadata XML, audited', async () => {
    const response = await put({ idpMetadataXml: idp.metadataXml() }).expect(200);
    const body = response.body as SsoBody;
    expect(body).toMatchObject({
      enabled: true,
      idpEntityId: idp.entityId,
      idpSsoUrl: idp.ssoUrl,
      idpCertificateFingerprint: new X509Certificate(idp.certificatePem).fingerprint256,
      idpCertificateNotAfter: new Date(new X509Certificate(idp.certificatePem).validTo).toISOString(),
      allowIdpInitiated: true,
      warnings: [],
    });
    expect(await get()).toMatchObject({ enabled: true, idpEntityId: idp.entityId });
    expect((await auditEvents(app, org, 1))[0]).toMatchObject({
      type: 'sso.configured',
      detail: 'enabled',
      target: { type: 'organization', id: org.organizationId },
    });
  });

  it('configures from the three fields, with allowIdpInitiated', async () => {
    const body = (
      await put({
        idpEntityId: idp.entityId,
        idpSsoUrl: 'https://idp.example.com/app/sso/saml',
        idpCertificate: idp.certificatePem,
        allowIdpInitiated: false,
      }).expect(200)
    ).body as SsoBody;
    expect(body).toMatchObject({ enabled: true, idpSsoUrl: 'https://idp.example.com/app/sso/saml', allowIdpInitiated: false });
  });

  it('lists every problem in one 400, and changes nothing', async () => {
    const before = await get();
    const response = await put({
      idpEntityId: ' ',
      idpSsoUrl: 'http://idp.example.com/sso',
      idpCertificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
    }).expect(400);
    const message = (response.body as { message: string }).message;
    expect(message).toContain('idpEntityId is required');
    expect(message).toContain('idpSsoUrl must be an https URL');
    expect(message).toContain('idpCertificate is not a readable X.509 certificate');
    expect(await get()).toEqual(before);
  });

  it('refuses incomplete, contradictory, unreadable and unusable input with what to send', async () => {
    const message = async (body: object): Promise<string> => ((await put(body).expect(400)).body as { message: string }).message;
    expect(await message({})).toContain('Send idpMetadataXml');
    expect(await message({ idpEntityId: idp.entityId })).toMatch(/idpSsoUrl is required.*idpCertificate is required/);
    expect(await message({ idpMetadataXml: idp.metadataXml(), idpEntityId: 'x' })).toContain('not both');
    expect(await message({ idpMetadataXml: '<not xml' })).toContain('not usable SAML metadata');
    expect(await message({ idpMetadataXml: '<!DOCTYPE x [<!ENTITY e "e">]><x/>' })).toContain('document type');
    expect(await message({ idpMetadataXml: '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>' })).toContain(
      'no EntityDescriptor with an IDPSSODescriptor',
    );
    const postOnly = idp
      .metadataXml()
      .replace(/urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect/g, 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    expect(await message({ idpMetadataXml: postOnly })).toContain('HTTP-Redirect');
    expect(await message({ idpEntityId: idp.entityId, idpSsoUrl: 'ftp://idp.example.com', idpCertificate: idp.certificatePem })).toContain(
      'https URL',
    );
    expect(
      await message({ idpEntityId: idp.entityId, idpSsoUrl: 'https://user:pw@idp.example.com/sso', idpCertificate: idp.certificatePem }),
    ).toContain('user name or password');
    expect(
      await message({ idpEntityId: idp.entityId, idpSsoUrl: 'https://idp.example.com/sso', idpCertificate: await ecCertificate() }),
    ).toContain('RSA');
    expect(
      await message({
        idpEntityId: idp.entityId,
        idpSsoUrl: 'https://idp.example.com/sso',
        idpCertificate: idp.certificatePem,
        allowIdpInitiated: 'yes',
      }),
    ).toContain('allowIdpInitiated must be true or false');
  });

  it('accepts http only for this machine: localhost, *.localhost and loopback addresses', async () => {
    for (const url of ['http://localhost:8080/sso', 'http://idp.localhost/sso', 'http://127.0.0.1:9000/sso']) {
      await put({ idpEntityId: idp.entityId, idpSsoUrl: url, idpCertificate: idp.certificatePem }).expect(200);
    }
  });

  it('warns when the identity provider certificate expires within 30 days', async () => {
    const body = (
      await put({
        idpEntityId: idp.entityId,
        idpSsoUrl: 'https://idp.example.com/sso',
        idpCertificate: await rsaCertificateExpiringIn(10),
      }).expect(200)
    ).body as SsoBody;
    expect(body.warnings).toHaveLength(1);
    expect(body.warnings[0]).toMatch(/expires on .* \(in (9|10) days\)/);
    expect((await get()).warnings).toHaveLength(1);
    const later = (
      await put({
        idpEntityId: idp.entityId,
        idpSsoUrl: 'https://idp.example.com/sso',
        idpCertificate: await rsaCertificateExpiringIn(40),
      }).expect(200)
    ).body as SsoBody;
    expect(later.warnings).toEqual([]);
  });

  it('DELETE disables SSO (204), keeps the SP key pair, audited', async () => {
    const { sp } = await get();
    await adminRequest(app, 'delete', '/admin/v1/organization/sso', org.apiKey).expect(204);
    const after = await get();
    expect(after).toMatchObject({ enabled: false, idpEntityId: null, idpSsoUrl: null, idpCertificateFingerprint: null });
    expect(after.sp).toEqual(sp);
    expect((await auditEvents(app, org, 1))[0]).toMatchObject({ type: 'sso.configured', detail: 'disabled' });
  });

  it('is described in the OpenAPI document', async () => {
    const document = (await request(app.getHttpServer()).get('/admin/docs-json').expect(200)).body as { paths: Record<string, object> };
    expect(Object.keys(document.paths['/admin/v1/organization/sso']).sort()).toEqual(['delete', 'get', 'put']);
    expect(Object.keys(document.paths['/admin/v1/users/{id}/sessions'])).toEqual(['delete']);
    expect(document.paths['/sso/acs']).toBeUndefined();
  });
});

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;

async function rsaCertificateExpiringIn(days: number): Promise<string> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const keys = await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=expiring',
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + days * 86_400_000),
    keys,
    signingAlgorithm: RSA,
  });
  return certificate.toString('pem');
}

async function ecCertificate(): Promise<string> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '02',
    name: 'CN=ec',
    notBefore: new Date(),
    notAfter: new Date(Date.now() + 86_400_000 * 365),
    keys,
    signingAlgorithm: algorithm,
  });
  return certificate.toString('pem');
}
