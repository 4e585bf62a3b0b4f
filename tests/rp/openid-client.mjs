// openid-client (panva, v6) logs the demo user of `gatehouse dev` in, headlessly:
// discovery, authorization code + PKCE + nonce + state for the confidential client,
// ID token validated by the library (JWKS signature, iss, aud, nonce, and the `iss`
// response parameter of RFC 9207), userinfo, then a refresh; then RP-initiated logout
// with the library's end-session URL (`buildEndSessionUrl`), after which a silent
// (`prompt=none`) request in the same browser must answer `login_required`.
//
//   GATEHOUSE_ISSUER=http://127.0.0.1:8080 GATEHOUSE_CLIENT_ID=demo \
//   GATEHOUSE_CLIENT_SECRET=… GATEHOUSE_USERNAME=demo node tests/rp/openid-client.mjs
//
// Prints one JSON line {library, claims, userinfo, refreshed, logout}; exits 1 on any failure.
import * as client from 'openid-client'

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback
  if (value === undefined) throw new Error(`set ${name} to the value \`gatehouse dev\` prints`)
  return value
}
const issuer = env('GATEHOUSE_ISSUER')
const clientId = env('GATEHOUSE_CLIENT_ID')
const clientSecret = env('GATEHOUSE_CLIENT_SECRET')
const username = env('GATEHOUSE_USERNAME')
// The registered loopback redirect URI: gatehouse accepts it on any port (RFC 8252 §7.3).
const redirectUri = env('GATEHOUSE_REDIRECT_URI', 'http://127.0.0.1/callback')

async function main() {
  const config = await client.discovery(
    new URL(issuer), // the printed issuer: http://127.0.0.1:8080
    clientId, // demo
    undefined, // no other client metadata: ID tokens are RS256, the default
    client.ClientSecretBasic(clientSecret),
    // http is for a loopback issuer only; also check ID token signatures against the JWKS.
    { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] },
  )
  const codeVerifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, // http://127.0.0.1/callback, on any port or none
    scope: 'openid profile email offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    login_hint: username,
  })

  // A browser would follow this redirect; `gatehouse dev` logs the hinted user in
  // without a page and answers with the redirect to the callback.
  const answer = await fetch(authorizationUrl, { redirect: 'manual' })
  const location = answer.headers.get('location')
  if (answer.status !== 303 && answer.status !== 302) {
    throw new Error(`authorization request answered ${answer.status}, not a redirect: ${await answer.text()}`)
  }
  const callbackUrl = new URL(location)
  // The browser's cookies: the session the login started.
  const cookie = answer.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')

  const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  })
  const claims = tokens.claims()
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub)

  if (!tokens.refresh_token) throw new Error('no refresh token for offline_access')
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token)
  if (!refreshed.access_token || refreshed.refresh_token === tokens.refresh_token) {
    throw new Error('the refresh did not rotate the refresh token')
  }

  // A silent request in the same browser, as the library builds it: a code while the
  // session lives, `login_required` once the user logged out.
  const silent = async () => {
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      prompt: 'none',
    })
    const back = await fetch(url, { redirect: 'manual', headers: { cookie } })
    const params = new URL(back.headers.get('location')).searchParams
    return params.get('error') ?? (params.get('code') ? 'code' : 'nothing')
  }
  const before = await silent()
  if (before !== 'code') throw new Error(`the session did not answer prompt=none: ${before}`)
  const endSessionUrl = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token })
  const ended = await fetch(endSessionUrl, { redirect: 'manual', headers: { cookie } })
  const page = await ended.text()
  if (ended.status !== 200 || !page.includes('You are signed out')) {
    throw new Error(`the end-session URL answered ${ended.status}: ${page}`)
  }
  const logout = { end_session_status: ended.status, prompt_none_before: before, prompt_none_after: await silent() }

  console.log(JSON.stringify({ library: 'openid-client', claims, userinfo, refreshed: true, logout }))
}

main().catch((error) => {
  console.error(`openid-client: ${error.stack ?? error}`)
  if (error.cause) console.error('cause:', error.cause)
  process.exit(1)
})
