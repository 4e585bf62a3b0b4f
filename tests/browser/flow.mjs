// A real headless Chromium through gatehouse's pages (run by tests/browser.rs).
//
// Usage: node tests/browser/flow.mjs '<json>' with
//   { issuer, artifacts, username, password, wrong_password, code_challenge, code_verifier,
//     clients: { a: {id, secret, redirect_uri, post_logout_redirect_uri},
//                b: {id, secret, redirect_uri}, c: {id, secret, redirect_uri} } }
// The redirect URIs are a relying party on loopback run by the Rust test: Chromium
// follows every redirect itself, with its own cookies; nothing is routed here.
// Prints one JSON line with what it saw; exits non-zero with a message on a failure.
// Contrast failures are reported in that line, not as a failure of the script.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { audit, collect } from './contrast.mjs';
import { selfTest } from './selftest.mjs';

const WIDTHS = [390, 1280];
const SCHEMES = ['light', 'dark'];
const SCOPE = 'openid profile';

const input = JSON.parse(process.argv[2] ?? '{}');
for (const key of ['issuer', 'artifacts', 'username', 'password', 'wrong_password', 'code_challenge', 'code_verifier', 'clients']) {
  if (input[key] === undefined) fail(`the argument has no "${key}"`);
}
const { a, b, c } = input.clients;
mkdirSync(input.artifacts, { recursive: true });

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const result = { contrast: { checked: 0, failures: [] }, screenshots: [] };
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  result.self_test = await selfTest(page);
  // Every response to a navigation of the tab, each redirect hop included.
  const seen = [];
  page.on('response', (r) => {
    if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) seen.push({ url: r.url(), status: r.status() });
  });
  // Runs one part of the journey; records the documents it was served and where it ended.
  const step = async (name, run) => {
    const from = seen.length;
    const out = await run();
    result[name] = { ...out, pages: seen.slice(from), reached: arrival(page.url()) };
  };
  // Goes to `url`, and on to wherever it redirects.
  const visit = async (url) => {
    await page.goto(url);
    return {};
  };
  const login = async (password) => {
    await page.fill('#username', input.username);
    await page.fill('#password', password);
    return submit(page, 'form button[type=submit]');
  };

  await step('error_page', async () => {
    const response = await page.goto(authorizeUrl({ id: 'no-such-client', redirect_uri: 'https://nowhere.example/cb' }, 'e'));
    await capture(page, 'error');
    return { status: response.status(), heading: await page.textContent('h1') };
  });

  await step('login_a', async () => {
    const shown = await page.goto(authorizeUrl(a, 'state-a'));
    expectPath(page, '/login', "client A's request");
    await capture(page, 'login');
    const refused = await login(input.wrong_password);
    const error = await page.textContent('p.error');
    await capture(page, 'login-error');
    await login(input.password);
    return { login_status: shown.status(), wrong_password_status: refused.status(), error };
  });

  await step('sso_b', () => visit(authorizeUrl(b, 'state-b')));

  await step('consent_c', async () => {
    const shown = await page.goto(authorizeUrl(c, 'state-c'));
    expectPath(page, '/consent', "third-party client C's first request");
    const heading = await page.textContent('h1');
    await capture(page, 'consent');
    await submit(page, 'button[name=decision][value=allow]');
    return { consent_status: shown.status(), heading };
  });

  await step('again_c', () => visit(authorizeUrl(c, 'state-c2')));

  await step('deny_c', async () => {
    await page.goto(authorizeUrl(c, 'state-c3', `${SCOPE} email`));
    expectPath(page, '/consent', "C's request for a new scope");
    const scopes = await page.textContent('ul.scopes');
    await submit(page, 'button[name=decision][value=deny]');
    return { scopes };
  });

  // Real redemptions of the codes issued so far (the logout below ends the unredeemed
  // ones), A's for the ID token the logout names.
  result.tokens = {};
  for (const [name, client, from] of [['a', a, 'login_a'], ['b', b, 'sso_b'], ['c', c, 'consent_c'], ['c2', c, 'again_c']]) {
    result.tokens[name] = await redeem(client, result[from].reached.code);
  }

  await step('logout_hint', () => {
    const url = new URL(`${input.issuer}/logout`);
    url.searchParams.set('id_token_hint', result.tokens.a.body.id_token ?? '');
    url.searchParams.set('post_logout_redirect_uri', a.post_logout_redirect_uri);
    url.searchParams.set('state', 's-out');
    return visit(url.href);
  });

  await step('login_again', async () => {
    await page.goto(authorizeUrl(a, 'state-a2'));
    expectPath(page, '/login', "A's request after the logout");
    await login(input.password);
  });

  await step('logout_confirm', async () => {
    const shown = await page.goto(`${input.issuer}/logout?client_id=${encodeURIComponent(a.id)}`);
    expectPath(page, '/logout', 'a logout without id_token_hint');
    const text = await page.textContent('main');
    await capture(page, 'logout');
    const done = await submit(page, 'button[name=action][value=logout]');
    await capture(page, 'logged-out');
    return { confirm_status: shown.status(), text, done_status: done.status(), done_heading: await page.textContent('h1') };
  });

  await step('session_gone', async () => {
    const shown = await page.goto(authorizeUrl(a, 'state-a3'));
    return { status: shown.status() };
  });
  await context.close();
} catch (error) {
  await browser.close();
  fail(error.stack ?? String(error));
}
await browser.close();
for (const f of result.contrast.failures) {
  console.error(`contrast: ${f.page} (${f.scheme}) ${f.kind} ${f.selector} "${f.text}": ${f.color} on ${f.background} = ${f.ratio}, needs ${f.needed}`);
}
console.log(JSON.stringify(result));

/** The authorization request for `client`, with PKCE. */
function authorizeUrl(client, state, scope = SCOPE) {
  const url = new URL(`${input.issuer}/authorize`);
  const params = {
    response_type: 'code', client_id: client.id, redirect_uri: client.redirect_uri, scope,
    state, nonce: `nonce-${state}`, code_challenge: input.code_challenge, code_challenge_method: 'S256',
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.href;
}

/** Redeems `code` at the token endpoint as `client` (client_secret_basic, PKCE). */
async function redeem(client, code) {
  const response = await fetch(`${input.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: code ?? '', redirect_uri: client.redirect_uri, code_verifier: input.code_verifier,
    }),
  });
  return { status: response.status, body: await response.json() };
}

/** Clicks `selector` and waits for the document it leads to; returns its response. */
async function submit(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return response;
}

/** Fails unless the tab shows the issuer's page at `path`. */
function expectPath(page, path, what) {
  const url = new URL(page.url());
  if (url.origin !== new URL(input.issuer).origin || !url.pathname.endsWith(path)) fail(`${what} did not show ${path} but ${page.url()}`);
}

/** Where the tab is: its URL, and `code`, `state`, `iss`, `error` from its query. */
function arrival(href) {
  const url = new URL(href);
  const get = (k) => url.searchParams.get(k);
  return { url: url.href, code: get('code'), state: get('state'), iss: get('iss'), error: get('error') };
}

/** Measures contrast on the page shown, and screenshots it, at each width and scheme. */
async function capture(page, name) {
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme });
    const measured = audit(await page.evaluate(collect), { page: name, scheme });
    result.contrast.checked += measured.checked;
    result.contrast.failures.push(...measured.failures);
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 800 });
      const path = join(input.artifacts, `${name}-${width}-${scheme}.png`);
      await page.screenshot({ path, fullPage: true });
      result.screenshots.push(path);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 800 });
}

function fail(message) {
  console.error(`flow.mjs: ${message}`);
  process.exit(1);
}
