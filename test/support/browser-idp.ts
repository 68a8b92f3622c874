import { createServer, Server } from 'node:http';
import { TestIdentityProvider } from './saml-idp';

/**
 * The test identity provider's sign-in page over real HTTP, for a browser: it verifies the signed
 * AuthnRequest it is redirected with, signs in whoever `signedInAs` names (the person already signed
 * in at the identity provider, as at Okta), and answers with the page that posts the signed
 * SAMLResponse to the service's ACS, as identity providers do.
 */
export class BrowserIdentityProvider {
  signedInAs: string | null = null;

  private constructor(
    readonly idp: TestIdentityProvider,
    private readonly server: Server,
  ) {}

  /** `spMetadata(acsHost)`: the service provider's metadata XML, fetched as the IdP would have it. */
  static async start(port: number, spMetadata: () => Promise<{ xml: string; entityId: string }>): Promise<BrowserIdentityProvider> {
    const idp = await TestIdentityProvider.create('browser', port);
    const server = createServer();
    const started = new BrowserIdentityProvider(idp, server);
    server.on('request', (request, response) => {
      started
        .answer(`http://${request.headers.host ?? ''}${request.url ?? ''}`, spMetadata)
        .then((html) => {
          response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
          response.end(html);
        })
        .catch((error: unknown) => {
          response.writeHead(400, { 'Content-Type': 'text/plain' });
          response.end(`test IdP refused the request: ${String(error)}`);
        });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return started;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async answer(url: string, spMetadata: () => Promise<{ xml: string; entityId: string }>): Promise<string> {
    if (this.signedInAs === null) {
      throw new Error('nobody is signed in at the identity provider');
    }
    const metadata = await spMetadata();
    const received = await this.idp.receiveAuthnRequest(url, metadata.xml);
    const samlResponse = await this.idp.response(
      { entityId: metadata.entityId, acsUrl: received.acsUrl },
      { nameId: this.signedInAs, inResponseTo: received.id },
    );
    const relayState =
      received.relayState === null ? '' : `<input type="hidden" name="RelayState" value="${escapeAttribute(received.relayState)}">`;
    return `<!DOCTYPE html><html lang="en"><head><title>Test IdP</title></head><body onload="document.forms[0].submit()">
<form method="post" action="${escapeAttribute(received.acsUrl)}"><input type="hidden" name="SAMLResponse" value="${escapeAttribute(samlResponse)}">${relayState}
<noscript><button type="submit">Continue</button></noscript></form></body></html>`;
  }
}

function escapeAttribute(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');
}
