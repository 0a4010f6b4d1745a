"""MSAL Python's memory per cached token, for `cargo xtask bench` (docs/benchmarks.md).

The tokens have the shape of crates/token-cache/benches/memory.rs (the Rust side of the same
figure): token i has the scope `api://resource-{i}/.default`, lives in tenant
`tenant-{i % 1000:04}-0000-1111-2222-333344445555` of client
11111111-2222-3333-4444-555555555555 on login.microsoftonline.com, expires in a day with a
`refresh_on`, and carries a distinct secret of the given length. MSAL Python loads them the
way it loads its cache file (`SerializableTokenCache.deserialize`); `tracemalloc` counts what
the loaded cache holds (the JSON text is freed before the reading), divided by the tokens.

Prints one line per secret length:
    FIGURE memory_per_token secret_len=L tokens=N bytes=B

Usage: python memory.py [TOKENS [SECRET_LEN ...]]   (default 100000, lengths 1500 and 16)
"""

import gc
import json
import sys
import time
import tracemalloc

import msal

ENVIRONMENT = "login.microsoftonline.com"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"


def document(n, secret_len):
    """The cache document MSAL Python writes for n app-only tokens."""
    now = int(time.time())
    tokens = {}
    for i in range(n):
        tenant = "tenant-%04d-0000-1111-2222-333344445555" % (i % 1000)
        scope = "api://resource-%d/.default" % i
        key = "-".join(["", ENVIRONMENT, "accesstoken", CLIENT_ID, tenant, scope]).lower()
        tokens[key] = {
            "credential_type": "AccessToken",
            # distinct strings, as real tokens are
            "secret": "e" * max(secret_len - 8, 0) + ("%08d" % (i % 100000000)),
            "home_account_id": None,
            "environment": ENVIRONMENT,
            "client_id": CLIENT_ID,
            "target": scope,
            "realm": tenant,
            "token_type": "Bearer",
            "cached_at": str(now),
            "expires_on": str(now + 86400),
            "extended_expires_on": str(now + 86400),
            "refresh_on": str(now + 43200),
        }
    return {"AccessToken": tokens}


def per_token(n, secret_len):
    text = json.dumps(document(n, secret_len))
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    cache = msal.SerializableTokenCache()
    cache.deserialize(text)
    del text
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(cache._cache["AccessToken"]) == n
    return (after - before) // n


def main():
    numbers = [int(a) for a in sys.argv[1:]]
    n = numbers[0] if numbers else 100000
    lengths = numbers[1:] or [1500, 16]
    for secret_len in lengths:
        print(
            "FIGURE memory_per_token secret_len=%d tokens=%d bytes=%d"
            % (secret_len, n, per_token(n, secret_len)),
            flush=True,
        )


if __name__ == "__main__":
    main()
