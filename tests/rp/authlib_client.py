"""Authlib (its requests client) logs the demo user of `gatehouse dev` in, headlessly.

Discovery metadata validated by Authlib, authorization code + PKCE (S256) + nonce +
state with ``login_hint``, the redirect followed with ``requests``, the code
redeemed by ``fetch_token``, the ID token checked as Authlib's own OpenID client
does (signature against the JWKS with joserfc, then ``CodeIDToken``: iss, aud,
exp, iat, nonce, at_hash), and userinfo.

    GATEHOUSE_ISSUER=http://127.0.0.1:8080 GATEHOUSE_CLIENT_ID=demo \\
    GATEHOUSE_CLIENT_SECRET=… GATEHOUSE_USERNAME=demo tests/rp/.venv/bin/python tests/rp/authlib_client.py

Prints one JSON line {library, claims, userinfo}; exits 1 on any failure.
"""

import json
import os
import sys
from urllib.parse import parse_qs, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2 import rfc9207
from authlib.oidc.core import CodeIDToken, UserInfo
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry


def env(name, default=None):
    value = os.environ.get(name, default)
    if value is None:
        sys.exit(f"set {name} to the value `gatehouse dev` prints")
    return value


def discover(issuer):
    """The provider's metadata, validated by Authlib (RFC 8414, OIDC Discovery, RFC 9207)."""
    answer = requests.get(issuer.rstrip("/") + "/.well-known/openid-configuration", timeout=10)
    answer.raise_for_status()
    metadata = OpenIDProviderMetadata(answer.json())
    metadata.validate(metadata_classes=[rfc9207.AuthorizationServerMetadata])
    if metadata["issuer"] != issuer:
        raise ValueError(f"discovery names the issuer {metadata['issuer']!r}, not {issuer!r}")
    return metadata


def validate_id_token(metadata, token, client_id, nonce):
    """The ID token's signature against the JWKS, then its claims, as Authlib's OpenIDMixin does."""
    jwks = requests.get(metadata["jwks_uri"], timeout=10).json()
    algorithms = metadata["id_token_signing_alg_values_supported"]
    decoded = jwt.decode(
        token["id_token"],
        key=KeySet.import_key_set(jwks),
        registry=JWSRegistry(algorithms=algorithms, strict_check_header=False),
    )
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        {"iss": {"essential": True, "values": [metadata["issuer"]]}},
        {"client_id": client_id, "nonce": nonce, "access_token": token["access_token"]},
    )
    claims.validate(leeway=0)
    return dict(claims)


def main():
    issuer = env("GATEHOUSE_ISSUER")
    client_id = env("GATEHOUSE_CLIENT_ID")
    client_secret = env("GATEHOUSE_CLIENT_SECRET")
    username = env("GATEHOUSE_USERNAME")
    # The registered loopback redirect URI: gatehouse accepts it on any port (RFC 8252 §7.3).
    redirect_uri = env("GATEHOUSE_REDIRECT_URI", "http://127.0.0.1/callback")
    metadata = discover(issuer)

    session = OAuth2Session(
        client_id,
        client_secret,
        token_endpoint=metadata["token_endpoint"],
        token_endpoint_auth_method="client_secret_basic",
        scope="openid profile email",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    code_verifier = generate_token(48)
    nonce = generate_token(20)
    url, state = session.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=code_verifier, nonce=nonce, login_hint=username
    )

    # A browser would follow this; `gatehouse dev` logs the hinted user in without a
    # page and answers with the redirect to the callback.
    answer = requests.get(url, allow_redirects=False, timeout=10)
    if answer.status_code not in (302, 303):
        raise ValueError(f"authorization request answered {answer.status_code}, not a redirect: {answer.text}")
    callback = answer.headers["location"]
    # RFC 9207: Authlib's client does not check the `iss` response parameter; check it here.
    if parse_qs(urlsplit(callback).query).get("iss") != [metadata["issuer"]]:
        raise ValueError(f"the authorization response's iss is not the issuer: {callback}")

    token = session.fetch_token(authorization_response=callback, state=state, code_verifier=code_verifier)
    claims = validate_id_token(metadata, token, client_id, nonce)
    userinfo = session.get(metadata["userinfo_endpoint"], timeout=10)
    userinfo.raise_for_status()
    userinfo = UserInfo(userinfo.json())
    if userinfo["sub"] != claims["sub"]:
        raise ValueError(f"userinfo is about {userinfo['sub']}, the ID token about {claims['sub']}")

    print(json.dumps({"library": "authlib", "claims": claims, "userinfo": dict(userinfo)}))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 - any failure is the test's failure
        print(f"authlib: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
