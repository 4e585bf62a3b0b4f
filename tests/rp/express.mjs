// express-openid-connect (Auth0's middleware for express) logs the demo user of
// `gatehouse dev` in: a real express app on an ephemeral port of 127.0.0.1, driven
// like a browser (a fetch loop with a cookie jar, no browser) from /login through
// gatehouse and back to the app's /callback, then /profile; then the app's /logout,
// which (idpLogout) sends the browser to gatehouse's end_session_endpoint.
//
//   GATEHOUSE_ISSUER=http://127.0.0.1:8080 GATEHOUSE_CLIENT_ID=demo \
//   GATEHOUSE_CLIENT_SECRET=… GATEHOUSE_USERNAME=demo node tests/rp/express.mjs
//
// Prints one JSON line {library, claims, userinfo, trail, logout}; exits 1 on any failure.
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import express from 'express'
import eoc from 'express-openid-connect'

const { auth, requiresAuth } = eoc
const env = (name) => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`set ${name} to the value \`gatehouse dev\` prints`)
  return value
}

/** Starts the app on an ephemeral port of 127.0.0.1 and returns its base URL. */
async function startApp(server) {
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  // The callback is baseURL + /callback, on the registered loopback redirect URI
  // http://127.0.0.1/callback, which gatehouse accepts on any port (RFC 8252 §7.3).
  const baseURL = `http://127.0.0.1:${server.address().port}`

  const app = express()
  app.use(
    auth({
      issuerBaseURL: process.env.GATEHOUSE_ISSUER, // the printed issuer
      clientID: process.env.GATEHOUSE_CLIENT_ID, // demo
      clientSecret: process.env.GATEHOUSE_CLIENT_SECRET,
      baseURL, // http://127.0.0.1:<port>: the redirect URI is baseURL + '/callback'
      secret: randomBytes(32).toString('base64url'), // seals the app's session cookie
      authRequired: false,
      idpLogout: true, // the app's /logout also ends the gatehouse session (end_session_endpoint)
      authorizationParams: {
        response_type: 'code', // with PKCE; the callback is a GET (response_mode query)
        scope: 'openid profile email',
        login_hint: process.env.GATEHOUSE_USERNAME, // dev logs the hinted user in without a page
      },
    }),
  )
  app.get('/', (req, res) => res.send(req.oidc.isAuthenticated() ? 'logged in' : 'logged out'))
  app.get('/profile', requiresAuth(), async (req, res) => {
    res.json({ claims: req.oidc.user, userinfo: await req.oidc.fetchUserInfo() })
  })
  server.on('request', app)
  return baseURL
}

/** A browser's cookies, by host name: browsers do not separate ports (RFC 6265 §8.5). */
class CookieJar {
  #hosts = new Map()

  header(url) {
    const cookies = this.#hosts.get(url.hostname) ?? new Map()
    return [...cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  // Every cookie here is Path=/ (a dev issuer has no path), so paths are not tracked.
  store(url, response) {
    const cookies = this.#hosts.get(url.hostname) ?? new Map()
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim())
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]
      const expired = attributes.some(
        (a) => /^max-age=\s*(0|-)/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) <= Date.now()),
      )
      if (expired) cookies.delete(name)
      else cookies.set(name, value)
    }
    this.#hosts.set(url.hostname, cookies)
  }
}

/** GETs `start` and follows redirects across hosts as a browser does; returns the last response. */
async function browse(jar, start, trail) {
  let url = new URL(start)
  for (let hop = 0; hop < 10; hop++) {
    trail.push(`${url.origin}${url.pathname}`)
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header(url) } })
    jar.store(url, response)
    const location = response.headers.get('location')
    if (response.status < 300 || response.status >= 400 || !location) return response
    url = new URL(location, url)
  }
  throw new Error(`too many redirects: ${trail.join(' -> ')}`)
}

async function main() {
  for (const name of ['GATEHOUSE_ISSUER', 'GATEHOUSE_CLIENT_ID', 'GATEHOUSE_CLIENT_SECRET', 'GATEHOUSE_USERNAME']) {
    env(name)
  }
  const server = createServer()
  const baseURL = await startApp(server)
  try {
    const jar = new CookieJar()
    const trail = []
    const landed = await browse(jar, `${baseURL}/login`, trail)
    const page = await landed.text()
    if (landed.status !== 200 || page !== 'logged in') {
      throw new Error(`the login ended with ${landed.status} ${page.slice(0, 500)} after ${trail.join(' -> ')}`)
    }
    if (!trail.some((hop) => hop === `${baseURL}/callback`)) throw new Error(`no callback in ${trail.join(' -> ')}`)
    const profile = await browse(jar, `${baseURL}/profile`, [])
    if (profile.status !== 200) throw new Error(`/profile answered ${profile.status}: ${await profile.text()}`)
    const { claims, userinfo } = await profile.json()
    // The app's /logout ends its session and sends the browser to gatehouse with the ID
    // token as id_token_hint and baseURL as post_logout_redirect_uri, which is not
    // registered (its port is ephemeral): gatehouse logs out and shows its own page.
    const issuer = new URL(env('GATEHOUSE_ISSUER'))
    const logoutTrail = []
    const ended = await browse(jar, `${baseURL}/logout`, logoutTrail)
    const logout = {
      status: ended.status,
      trail: logoutTrail,
      signed_out: (await ended.text()).includes('You are signed out'),
      session_cookie_left: jar.header(issuer).includes('gatehouse_session='),
    }
    console.log(JSON.stringify({ library: 'express-openid-connect', claims, userinfo, trail, logout }))
  } finally {
    server.close()
    server.closeAllConnections()
  }
}

main().catch((error) => {
  console.error(`express-openid-connect: ${error.stack ?? error}`)
  process.exit(1)
})
