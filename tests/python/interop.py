"""MSAL Python side of the token-cache interop test (tests/tests/python_interop.rs).

Acquires an app-only token with MSAL Python's `acquire_token_for_client`, against the Entra
emulator, through a `SerializableTokenCache` stored in CACHE_FILE, and prints one JSON line:

    {"token_source": "cache" | "identity_provider" | null,
     "access_token_sha256": "<hex>" | null,
     "error": null | "<error code: description>",
     "msal_version": "<x.y.z>"}

The access token itself is never printed; only its SHA-256.

Environment:
    EMULATOR_PORT   loopback port of the emulator; EVERY hostname resolves to 127.0.0.1 on it
    EMULATOR_CA     PEM file of the CA that signed the emulator's server certificate
    CACHE_FILE      the serialized token cache (MSAL's unified JSON format)
    CLIENT_ID, CLIENT_SECRET, AUTHORITY, SCOPE
    MODE            "read": load CACHE_FILE (must exist), never write it
                    "write": load CACHE_FILE if it exists, save the cache back when it changed
"""

import hashlib
import json
import os
import socket
import sys

import msal
import requests


def require(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"interop.py: environment variable {name} is required")
    return value


def pin_all_names_to_loopback(port):
    """Every name lookup answers 127.0.0.1:port, so the real Entra hostnames (TLS SNI, Host header
    and certificate check unchanged) reach the emulator and nothing can leave the machine."""
    original = socket.getaddrinfo

    def getaddrinfo(host, _port, family=0, type=0, proto=0, flags=0):
        return original("127.0.0.1", port, socket.AF_INET, type, proto, flags)

    socket.getaddrinfo = getaddrinfo


def main():
    port = int(require("EMULATOR_PORT"))
    ca_file = require("EMULATOR_CA")
    cache_file = require("CACHE_FILE")
    client_id = require("CLIENT_ID")
    client_secret = require("CLIENT_SECRET")
    authority = require("AUTHORITY")
    scope = require("SCOPE")
    mode = require("MODE")
    if mode not in ("read", "write"):
        sys.exit(f"interop.py: MODE must be read or write, not {mode!r}")

    pin_all_names_to_loopback(port)

    session = requests.Session()
    session.verify = ca_file
    session.trust_env = False  # no proxies, no netrc, no REQUESTS_CA_BUNDLE from the environment

    cache = msal.SerializableTokenCache()
    if os.path.exists(cache_file):
        with open(cache_file, encoding="utf-8") as f:
            cache.deserialize(f.read())
    elif mode == "read":
        sys.exit(f"interop.py: MODE=read but {cache_file} does not exist")

    app = msal.ConfidentialClientApplication(
        client_id,
        client_credential=client_secret,
        authority=authority,
        token_cache=cache,
        http_client=session,
    )
    result = app.acquire_token_for_client([scope])

    token = result.get("access_token")
    error = None
    if "error" in result:
        error = f"{result['error']}: {result.get('error_description', '')}"
    elif token is None:
        error = "no access_token in the result"

    if mode == "write" and cache.has_state_changed:
        tmp = cache_file + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(cache.serialize())
        os.replace(tmp, cache_file)

    print(
        json.dumps(
            {
                "token_source": result.get("token_source"),
                "access_token_sha256": hashlib.sha256(token.encode("utf-8")).hexdigest()
                if token
                else None,
                "error": error,
                "msal_version": msal.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
