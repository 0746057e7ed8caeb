"""A minimal OpenID Connect provider for the tests, served over real HTTP on 127.0.0.1.

Discovery document, authorize endpoint issuing a one-time code, token endpoint returning an
RS256-signed ID token, JWKS and userinfo. Knobs on the instance let a test make the provider
misbehave: sign with a key the JWKS does not publish, a wrong audience or issuer, an expired token,
an ID token that is not a JWT, and ``answer(path, ...)`` for an endpoint that fails (a 503, a 429,
malformed JSON) or ``delay`` for one that answers too late.
"""

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


def _new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Provider:
    def __init__(self, *, client_id="crisisdesk", client_secret="s3cret"):
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = _new_key()
        self.other_key = _new_key()
        self.kid = "test-key-1"
        self.user = {}
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.sign_with_other_key = False
        self.audience = None
        self.expired = False
        self.issuer = None
        self.id_token_text = None
        self.canned: dict[str, tuple[int, bytes, dict]] = {}
        self.delay: dict[str, float] = {}
        self.token_requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # A short poll: shutdown() waits up to one poll interval (0.5 s by default) at every test's end.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path, status, body, *, content_type="application/json", headers=None):
        """From now on ``path`` answers ``status`` with ``body`` (str, or JSON for anything else)."""
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.canned[path] = (status, data, {"Content-Type": content_type, **(headers or {})})

    def settings(self):
        return {
            "OIDC_RP_CLIENT_ID": self.client_id,
            "OIDC_RP_CLIENT_SECRET": self.client_secret,
            "OIDC_RP_SIGN_ALGO": "RS256",
            "OIDC_OP_AUTHORIZATION_ENDPOINT": self.url + "/authorize",
            "OIDC_OP_TOKEN_ENDPOINT": self.url + "/token",
            "OIDC_OP_USER_ENDPOINT": self.url + "/userinfo",
            "OIDC_OP_JWKS_ENDPOINT": self.url + "/jwks",
            "OIDC_OP_ISSUER": self.url,
        }

    def jwks(self):
        numbers = self.key.public_key().public_numbers()

        def b64(value):
            raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        return {
            "keys": [
                {"kty": "RSA", "kid": self.kid, "alg": "RS256", "use": "sig", "n": b64(numbers.n), "e": b64(numbers.e)}
            ]
        }

    def id_token(self, grant):
        now = int(time.time())
        claims = {
            "iss": self.issuer or self.url,
            "sub": grant["user"]["sub"],
            "aud": self.audience or self.client_id,
            "iat": now - (7200 if self.expired else 0),
            "exp": now - 3600 if self.expired else now + 300,
            "nonce": grant["nonce"],
            "email": grant["user"]["email"],
        }
        if self.id_token_text is not None:
            return self.id_token_text
        key = self.other_key if self.sign_with_other_key else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _misbehave(self, path) -> bool:
                """Wait and/or send the canned answer set for ``path``; True when it was sent."""
                if path in provider.delay:
                    time.sleep(provider.delay[path])
                if path not in provider.canned:
                    return False
                status, data, headers = provider.canned[path]
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return True

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                parsed = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
                if self._misbehave(parsed.path):
                    return None
                if parsed.path == "/.well-known/openid-configuration":
                    return self._json(
                        200,
                        {
                            "issuer": provider.url,
                            "authorization_endpoint": provider.url + "/authorize",
                            "token_endpoint": provider.url + "/token",
                            "userinfo_endpoint": provider.url + "/userinfo",
                            "jwks_uri": provider.url + "/jwks",
                            "id_token_signing_alg_values_supported": ["RS256"],
                        },
                    )
                if parsed.path == "/jwks":
                    return self._json(200, provider.jwks())
                if parsed.path == "/authorize":
                    if query.get("client_id") != provider.client_id or query.get("response_type") != "code":
                        return self._json(400, {"error": "invalid_request"})
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = {
                        "user": dict(provider.user),
                        "nonce": query.get("nonce"),
                        "redirect_uri": query["redirect_uri"],
                    }
                    location = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
                    self.send_response(302)
                    self.send_header("Location", location)
                    self.end_headers()
                    return None
                if parsed.path == "/userinfo":
                    auth = self.headers.get("Authorization", "")
                    grant = provider.access_tokens.get(auth.removeprefix("Bearer "))
                    if grant is None:
                        return self._json(401, {"error": "invalid_token"})
                    return self._json(200, grant["user"])
                return self._json(404, {"error": "not_found"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlparse(self.path).path != "/token":
                    return self._json(404, {"error": "not_found"})
                provider.token_requests += 1
                if self._misbehave("/token"):
                    return None
                if form.get("client_id") != provider.client_id or form.get("client_secret") != provider.client_secret:
                    return self._json(401, {"error": "invalid_client"})
                grant = provider.codes.pop(form.get("code", ""), None)
                if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                    return self._json(400, {"error": "invalid_grant"})
                access_token = secrets.token_urlsafe(16)
                provider.access_tokens[access_token] = grant
                return self._json(
                    200,
                    {
                        "access_token": access_token,
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": provider.id_token(grant),
                    },
                )

        return Handler
