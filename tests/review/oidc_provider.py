"""A small OpenID Connect provider on loopback for the sign-in tests: discovery, JWKS, an
authorization endpoint that approves whoever `provider.user` is, and a token endpoint that
checks the client, the code, the redirect URI and the PKCE verifier before issuing an RS256
ID token. Knobs on the instance make it answer the way a broken or hostile provider would."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

CLIENT_ID = "registry-admin"
CLIENT_SECRET = "client secret of the tests"


class Provider:
    """The provider's behaviour; tests change the public attributes between sign-ins."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "signing-key"}, private=True)
        self.issuer = ""  # set once the server listens
        self.reset()

    def rotate_key(self) -> None:
        """Sign from now on with a new key under a new key id, published in place of the old."""
        kid = f"signing-key-{secrets.token_hex(4)}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": kid}, private=True)

    def reset(self) -> None:
        self.user: dict[str, Any] = {"sub": "subject-of-admin", "preferred_username": "admin"}
        # Claims that replace the ones a correct provider would put in the ID token.
        self.claim_overrides: dict[str, Any] = {}
        # Sign with another key than the one published, under the published key id.
        self.forge_signature = False
        # Answer the authorization request with this OAuth error instead of a code.
        self.authorize_error: str | None = None
        # Claim to be this issuer in the discovery document.
        self.discovery_issuer: str | None = None
        self.codes: dict[str, dict[str, Any]] = {}
        self.token_requests: list[dict[str, Any]] = []

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **grant["user"],
            **self.claim_overrides,
        }
        key = self.key
        if self.forge_signature:
            key = RSAKey.generate_key(2048, parameters={"kid": key.kid}, private=True)
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def create_app(provider: Provider) -> Flask:
    app = Flask(__name__)

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Any:
        base = provider.issuer
        return jsonify(
            issuer=provider.discovery_issuer or base,
            authorization_endpoint=f"{base}/authorize",
            token_endpoint=f"{base}/token",
            jwks_uri=f"{base}/jwks",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            code_challenge_methods_supported=["S256"],
            token_endpoint_auth_methods_supported=["client_secret_basic"],
        )

    @app.get("/jwks")
    def jwks() -> Any:
        return jsonify(KeySet([provider.key]).as_dict(private=False))

    @app.get("/authorize")
    def authorize() -> Any:
        args = request.args
        if args.get("client_id") != CLIENT_ID or args.get("response_type") != "code":
            return "unknown client or response type", 400
        target = args["redirect_uri"]
        if provider.authorize_error:
            query = {"error": provider.authorize_error, "state": args.get("state", "")}
            return redirect(f"{target}?{urlencode(query)}")
        code = secrets.token_urlsafe(16)
        provider.codes[code] = {
            "redirect_uri": target,
            "nonce": args.get("nonce"),
            "code_challenge": args.get("code_challenge"),
            "code_challenge_method": args.get("code_challenge_method"),
            "scope": args.get("scope"),
            "user": dict(provider.user),
        }
        return redirect(f"{target}?{urlencode({'code': code, 'state': args['state']})}")

    @app.post("/token")
    def token() -> Any:
        provider.token_requests.append(request.form.to_dict())
        auth = request.authorization
        if not auth or (auth.username, auth.password) != (CLIENT_ID, CLIENT_SECRET):
            return jsonify(error="invalid_client"), 401
        grant = provider.codes.pop(request.form.get("code", ""), None)
        if grant is None or grant["redirect_uri"] != request.form.get("redirect_uri"):
            return jsonify(error="invalid_grant"), 400
        verifier = request.form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if grant["code_challenge_method"] != "S256" or challenge != grant["code_challenge"]:
            return jsonify(error="invalid_grant", error_description="PKCE"), 400
        return jsonify(
            access_token=secrets.token_urlsafe(16),
            token_type="Bearer",
            expires_in=300,
            id_token=provider.id_token(grant),
        )

    return app


@contextmanager
def running_provider() -> Iterator[Provider]:
    """A provider served over HTTP on a free loopback port, in a thread, until the block ends."""
    provider = Provider()
    server = make_server("127.0.0.1", 0, create_app(provider), threaded=True)
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
