"""MSAL Python's side of `cargo xtask bench` (the peer figures of docs/benchmarks.md).

Measures MSAL Python (the version `cargo xtask interop` pins, installed in the same venv) on a
token cache of the same shape as crates/token-cache/benches/cache.rs: token i has the scope
`api://resource-{i}/.default`, lives in tenant `tenant-{i % 1000:04}-0000-1111-2222-333344445555`
of client 11111111-2222-3333-4444-555555555555 on login.microsoftonline.com, and carries a
1,500-character secret (the size of a real JWT). The cache file is the document MSAL Python's
own `SerializableTokenCache.serialize()` writes (`json.dumps(indent=4)`).

Prints one JSON line (times in nanoseconds, medians over the runs, memory in bytes):

    {"msal_version": "1.39.0", "tokens": 10000, "file_bytes": ...,
     "save_ns": ...,   # serialize() + write the file, after adding one token
     "add_ns": ...,    # the add() of that token (not part of save_ns)
     "open_ns": ...,   # read the file + deserialize()
     "hit_ns": ...,    # acquire_token_for_client answered from the cache
     "memory_tokens": 100000, "memory_secret_len": 1500,
     "memory_per_token_bytes": ...}   # tracemalloc: the loaded cache / tokens

No network: the one HTTP request MSAL Python makes (the authority's OpenID configuration, when
the application is created) is answered in-process by `OfflineHttp`, and any other request
(a token request, which a cache hit never makes) fails the run.

Usage: python bench.py [--tokens N] [--memory-tokens N] [--memory-secret-len N] [--runs N] [--file-only]
"""

import argparse
import gc
import json
import os
import statistics
import tempfile
import time
import tracemalloc

import msal

ENVIRONMENT = "login.microsoftonline.com"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
SECRET_LEN = 1500


def tenant(i):
    return "tenant-%04d-0000-1111-2222-333344445555" % (i % 1000)


def scope(i):
    return "api://resource-%d/.default" % i


def document(n, secret_len):
    """The cache as MSAL Python stores n app-only tokens (same fields, same key layout)."""
    now = int(time.time())
    secret = "e" * secret_len
    tokens = {}
    for i in range(n):
        key = "-".join(
            ["", ENVIRONMENT, "accesstoken", CLIENT_ID, tenant(i), scope(i)]
        ).lower()
        tokens[key] = {
            "credential_type": "AccessToken",
            "secret": secret[:-8] + ("%08d" % i),  # distinct strings, as real tokens are
            "home_account_id": None,
            "environment": ENVIRONMENT,
            "client_id": CLIENT_ID,
            "target": scope(i),
            "realm": tenant(i),
            "token_type": "Bearer",
            "cached_at": str(now),
            "expires_on": str(now + 86400),
            "extended_expires_on": str(now + 86400),
            "refresh_on": str(now + 43200),
        }
    return {
        "AccessToken": tokens,
        "AppMetadata": {
            "appmetadata-%s-%s" % (ENVIRONMENT, CLIENT_ID): {
                "client_id": CLIENT_ID,
                "environment": ENVIRONMENT,
            }
        },
    }


def median_ns(work, runs):
    """The median time of `work()`, without freeing its result (criterion's
    `iter_with_large_drop` on our side)."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        result = work()
        samples.append(time.perf_counter_ns() - start)
        del result
    return int(statistics.median(samples))


class OfflineHttp:
    """Answers the OpenID configuration request; refuses everything else."""

    class Response:
        def __init__(self, body):
            self.status_code = 200
            self.text = json.dumps(body)
            self.headers = {}

        def raise_for_status(self):
            pass

    def get(self, url, **_kwargs):
        if "openid-configuration" not in url:
            raise RuntimeError("unexpected GET " + url)
        base = url.split("/v2.0/.well-known")[0]
        return self.Response(
            {
                "authorization_endpoint": base + "/oauth2/v2.0/authorize",
                "token_endpoint": base + "/oauth2/v2.0/token",
                "issuer": base + "/v2.0",
            }
        )

    def post(self, url, **_kwargs):
        raise RuntimeError("unexpected POST (a token request: the cache missed) " + url)

    def close(self):
        pass


def file_figures(n, runs):
    with tempfile.TemporaryDirectory(prefix="msal-python-bench-") as dir:
        path = os.path.join(dir, "cache.json")
        cache = msal.SerializableTokenCache()
        cache.deserialize(json.dumps(document(n, SECRET_LEN), indent=4))
        with open(path, "w", encoding="utf-8") as f:
            f.write(cache.serialize())
        file_bytes = os.path.getsize(path)

        def read():
            with open(path, encoding="utf-8") as f:
                loaded = msal.SerializableTokenCache()
                loaded.deserialize(f.read())
            return loaded

        open_ns = median_ns(read, runs)
        assert len(read()._cache["AccessToken"]) == n

        # one more token, under the same key each time, so the file keeps its size
        event = {
            "client_id": CLIENT_ID,
            "scope": [scope(n)],
            "token_endpoint": "https://%s/%s/oauth2/v2.0/token" % (ENVIRONMENT, tenant(n)),
            "environment": ENVIRONMENT,
            "response": {
                "access_token": "e" * SECRET_LEN,
                "token_type": "Bearer",
                "expires_in": 86400,
                "refresh_in": 43200,
            },
            "data": {},
            "grant_type": "client_credentials",
        }
        add_ns = median_ns(lambda: cache.add(dict(event)), runs)

        def save():
            cache.add(dict(event))  # has_state_changed, as after a token request
            start = time.perf_counter_ns()
            with open(path, "w", encoding="utf-8") as f:
                f.write(cache.serialize())
            return time.perf_counter_ns() - start

        save_ns = int(statistics.median(save() for _ in range(runs)))
        assert len(read()._cache["AccessToken"]) == n + 1
        return cache, file_bytes, open_ns, add_ns, save_ns


def hit_figure(cache, runs):
    app = msal.ConfidentialClientApplication(
        CLIENT_ID,
        client_credential="not-used-on-a-hit",
        authority="https://%s/%s" % (ENVIRONMENT, tenant(0)),
        token_cache=cache,
        http_client=OfflineHttp(),
        instance_discovery=False,
    )
    scopes = [scope(0)]
    result = app.acquire_token_for_client(scopes)
    assert result.get("token_source") == "cache", result.get("error")
    calls = 2000
    per_call = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        for _ in range(calls):
            app.acquire_token_for_client(scopes)
        per_call.append((time.perf_counter_ns() - start) / calls)
    return int(statistics.median(per_call))


def memory_figure(n, secret_len):
    text = json.dumps(document(n, secret_len), indent=4)
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
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=10_000)
    parser.add_argument("--memory-tokens", type=int, default=100_000)
    parser.add_argument("--memory-secret-len", type=int, default=SECRET_LEN)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument(
        "--file-only",
        action="store_true",
        help="only the file figures (one round of `cargo xtask bench`'s interleaved rounds)",
    )
    args = parser.parse_args()
    cache, file_bytes, open_ns, add_ns, save_ns = file_figures(args.tokens, args.runs)
    if args.file_only:
        print(json.dumps({"save_ns": save_ns, "open_ns": open_ns, "file_bytes": file_bytes}))
        return
    hit_ns = hit_figure(cache, args.runs)
    del cache
    memory = memory_figure(args.memory_tokens, args.memory_secret_len)
    print(
        json.dumps(
            {
                "msal_version": msal.__version__,
                "tokens": args.tokens,
                "file_bytes": file_bytes,
                "save_ns": save_ns,
                "add_ns": add_ns,
                "open_ns": open_ns,
                "hit_ns": hit_ns,
                "memory_tokens": args.memory_tokens,
                "memory_secret_len": args.memory_secret_len,
                "memory_per_token_bytes": memory,
            }
        )
    )


if __name__ == "__main__":
    main()
