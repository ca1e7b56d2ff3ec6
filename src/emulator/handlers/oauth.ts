/**
 * The emulator as its own OAuth authority: the token endpoint (as Entra ID's, at
 * `/{tenant}/oauth2/v2.0/token`) and the OpenID configuration msal reads before asking for a token.
 */
import { sendJson } from '../http-util';
import type { PlainRoute } from '../routes';

const TOKEN_PATH = /^\/[^/]+\/oauth2\/(v2\.0\/)?token$/;
const OPENID_PATH = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/;

export const oauthRoutes: readonly PlainRoute[] = [
  {
    method: 'POST',
    matches: (pathname) => TOKEN_PATH.test(pathname),
    handle: (ctx, _url, req, res) => ctx.auth.handleToken(req, res),
  },
  {
    method: 'GET',
    matches: (pathname) => OPENID_PATH.test(pathname),
    handle: (ctx, url, _req, res) => {
      const tenant = OPENID_PATH.exec(url.pathname)![1];
      sendJson(res, 200, {
        issuer: `${ctx.baseUrl}/${tenant}/v2.0`,
        token_endpoint: `${ctx.baseUrl}/${tenant}/oauth2/v2.0/token`,
        authorization_endpoint: `${ctx.baseUrl}/${tenant}/oauth2/v2.0/authorize`,
        jwks_uri: `${ctx.baseUrl}/${tenant}/discovery/v2.0/keys`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
        response_types_supported: ['code'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        tenant_region_scope: null,
        cloud_instance_name: 'localhost',
      });
    },
  },
];
