// A real OpenID Connect provider (the certified `oidc-provider`) for llmadmin's sso tests.
//
//   node server.js CONFIG.json
//
// CONFIG names the port (0: any free one), the client, the signing keys and a STATE file.
// STATE is read on every request, so a test changes people and their groups, or asks for a
// tampered ID token, by rewriting it while the provider runs:
//   {"users": {"alice": {"password": "...", "email": "...", "name": "...", "groups": [...]}},
//    "tamper": null | {"claims": {"iss": "..."}, "foreign_key": true} | {"raw": "not-a-jwt"}}
// Key rotation is a restart on the same port with other keys. Prints "listening PORT".
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { generateKeyPair, importJWK, decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const state = () => JSON.parse(readFileSync(config.state, 'utf8'));

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body><h1>${escape(title)}</h1>${body}</body></html>`;
}

function loginForm(uid, error = '') {
  return page('Test provider: sign in', `${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
  <label>Email or username <input name="login" autocomplete="username" autofocus></label>
  <label>Password <input type="password" name="password" autocomplete="current-password"></label>
  <button type="submit">Continue</button>
</form>`);
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(data))));
    req.on('error', reject);
  });
}

const server = createServer();
await new Promise((resolve) => server.listen(config.port, '127.0.0.1', resolve));
const port = server.address().port;
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [config.client],
  jwks: { keys: config.keys },
  cookies: { keys: ['test-provider-cookie-key-0123456789'] },
  scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  // The claims of the scopes asked for go into the ID token itself, as most providers do.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    // Own pages: the defaults load a web font from the internet, which the tests never reach.
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Test provider: sign out', `${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Test provider: signed out', '<p>You are signed out.</p>');
      },
    },
  },
  async findAccount(ctx, sub) {
    const user = state().users[sub];
    if (!user) {
      // Removed from the provider: whatever session they had here is over too.
      if (ctx?.oidc?.session?.accountId === sub) {
        delete ctx.oidc.session.accountId;
        ctx.oidc.session.touched = true;
      }
      return undefined;
    }
    return {
      accountId: sub,
      // `use` is "id_token" or "userinfo": some providers send groups from userinfo only.
      async claims(use) {
        const claims = {
          sub, email: user.email, email_verified: true, name: user.name, preferred_username: sub,
        };
        const here = !(user.groups_in_userinfo_only && use === 'id_token');
        if (user.groups !== undefined && here) claims.groups = user.groups;
        if (user.overage) {
          // Entra ID's way past its size limit: a pointer to fetch the groups elsewhere.
          claims._claim_names = { groups: 'src1' };
          claims._claim_sources = { src1: { endpoint: `${issuer}/groups-too-many` } };
        }
        return claims;
      },
    };
  },
  // First-party client: no consent screen; every scope asked for is granted.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const found = await ctx.oidc.provider.Grant.find(grantId);
      if (found) return found;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.params.scope || 'openid');
    await grant.save();
    return grant;
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, AuthorizationCode: 60, IdToken: 300 },
});

// A test may ask for the ID token to be re-signed with other claims or with a key the
// provider never published, to check that the relying party refuses it.
const foreign = await generateKeyPair('RS256');
provider.use(async (ctx, next) => {
  await next();
  const tamper = state().tamper;
  if (!tamper || ctx.path !== '/token' || !ctx.body?.id_token) return;
  if (tamper.raw !== undefined) {
    ctx.body = { ...ctx.body, id_token: tamper.raw };
    return;
  }
  const header = decodeProtectedHeader(ctx.body.id_token);
  const claims = { ...decodeJwt(ctx.body.id_token), ...(tamper.claims || {}) };
  const own = config.keys.find((k) => k.kid === header.kid);
  const key = tamper.foreign_key ? foreign.privateKey : await importJWK(own, 'RS256');
  ctx.body = {
    ...ctx.body,
    id_token: await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: header.kid }).sign(key),
  };
});

provider.on('server_error', (ctx, err) => console.error('server_error', err));

const callback = provider.callback();
server.on('request', async (req, res) => {
  const match = req.url.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!match) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      return res.end(loginForm(details.uid));
    }
    const form = await readForm(req);
    const users = state().users;
    const login = Object.keys(users).find(
      (id) => id === form.login || users[id].email === form.login,
    );
    if (!login || users[login].password !== form.password) {
      res.statusCode = 200;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      return res.end(loginForm(details.uid, 'Wrong email or password.'));
    }
    return provider.interactionFinished(
      req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false },
    );
  } catch (err) {
    res.statusCode = 400;
    res.setHeader('Content-Type', 'text/plain');
    return res.end(`interaction failed: ${err.message}`);
  }
});

console.log(`listening ${port}`);
