// A real headless Chromium through gatehouse's pages (run by tests/browser.rs).
//
// Usage: node tests/browser/flow.mjs '<json>' with
//   { issuer, artifacts, username, password, wrong_password, code_challenge,
//     clients: { a: {id, redirect_uri}, b: {id, redirect_uri} } }
// Redirects to the clients' redirect URIs are answered here (no relying party runs).
// Prints one JSON line with what it saw; exits non-zero with a message on a failure.
// Contrast failures are reported in that line, not as a failure of the script.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { audit, collect } from './contrast.mjs';
import { selfTest } from './selftest.mjs';

const WIDTHS = [390, 1280];
const SCHEMES = ['light', 'dark'];
const RELYING_PARTY = '<!doctype html><title>relying party</title><p>back at the relying party</p>';

const input = JSON.parse(process.argv[2] ?? '{}');
for (const key of ['issuer', 'artifacts', 'username', 'password', 'wrong_password', 'code_challenge', 'clients']) {
  if (input[key] === undefined) fail(`the argument has no "${key}"`);
}
mkdirSync(input.artifacts, { recursive: true });

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const result = { contrast: { checked: 0, failures: [] }, screenshots: [] };
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  result.self_test = await selfTest(page);
  // Every document the tab is served, redirects included, and where it arrived at a
  // relying party. Playwright does not route the hops of a redirect that Chromium
  // follows, so each document from the issuer is fetched here (with the context's
  // cookies, which take its Set-Cookie headers): a redirect to a client's redirect URI
  // is answered with a page standing in for the relying party; anything else is
  // passed on as it came.
  const seen = [];
  const arrivals = [];
  const stoodIn = new WeakMap();
  page.on('response', (r) => {
    if (!r.request().isNavigationRequest() || r.frame() !== page.mainFrame()) return;
    const redirect = stoodIn.get(r.request());
    if (!redirect) return seen.push([r.url(), r.status()]);
    seen.push([r.url(), redirect.status], [redirect.target.href, 'relying party']);
  });
  const relyingParties = Object.values(input.clients).map((c) => new URL(c.redirect_uri).origin);
  await context.route(`${new URL(input.issuer).origin}/**`, async (route) => {
    if (!route.request().isNavigationRequest()) return route.continue();
    const response = await route.fetch({ maxRedirects: 0 });
    const location = response.headers().location;
    const target = location && new URL(location, route.request().url());
    if (response.status() < 300 || response.status() > 399 || !relyingParties.includes(target?.origin)) {
      return route.fulfill({ response });
    }
    stoodIn.set(route.request(), { status: response.status(), target });
    arrivals.push(target);
    const headers = { ...response.headers() };
    delete headers.location;
    delete headers['content-length'];
    return route.fulfill({ status: 200, headers, contentType: 'text/html', body: RELYING_PARTY });
  });
  const step = async (name, run) => {
    const from = seen.length;
    const out = await run();
    result[name] = { ...out, pages: seen.slice(from).map(([url, status]) => ({ url, status })) };
  };

  await step('error_page', async () => {
    const response = await page.goto(authorizeUrl({ id: 'no-such-client', redirect_uri: 'https://nowhere.example/cb' }, 'e'));
    await capture(page, 'error');
    return { status: response.status(), heading: await page.textContent('h1') };
  });

  await step('login_a', async () => {
    const from = arrivals.length;
    const shown = await page.goto(authorizeUrl(input.clients.a, 'state-a'));
    if (new URL(page.url()).pathname !== new URL(`${input.issuer}/login`).pathname) {
      fail(`client A's request did not show the login page but ${page.url()}`);
    }
    await capture(page, 'login');
    await page.fill('#username', input.username);
    await page.fill('#password', input.wrong_password);
    const refused = await submit(page, 'form button[type=submit]');
    const error = await page.textContent('p.error');
    await capture(page, 'login-error');
    await page.fill('#password', input.password);
    await submit(page, 'form button[type=submit]');
    return { login_status: shown.status(), wrong_password_status: refused.status(), error, reached: reached(arrivals, from) };
  });

  await step('sso_b', async () => {
    const from = arrivals.length;
    await page.goto(authorizeUrl(input.clients.b, 'state-b'));
    return { reached: reached(arrivals, from) };
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
function authorizeUrl(client, state) {
  const url = new URL(`${input.issuer}/authorize`);
  const params = {
    response_type: 'code', client_id: client.id, redirect_uri: client.redirect_uri, scope: 'openid profile',
    state, nonce: `nonce-${state}`, code_challenge: input.code_challenge, code_challenge_method: 'S256',
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.href;
}

/** Clicks `selector` and waits for the document it submits to; returns its response. */
async function submit(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return response;
}

/** Where the step arrived at a relying party: the URL and its `code`, `state`, `iss`, `error`. */
function reached(arrivals, from) {
  if (arrivals.length !== from + 1) fail(`expected one arrival at a relying party, not ${arrivals.length - from}`);
  const url = arrivals[from];
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
