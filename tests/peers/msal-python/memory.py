"""MSAL Python's memory per cached token, for `cargo xtask bench` (docs/benchmarks.md).

The tokens have the shape of crates/token-cache/benches/memory.rs (the Rust side of the same
figure): token i has the scope `api://resource-{i}/.default`, lives in tenant
`tenant-{i % 1000:04}-0000-1111-2222-333344445555` of client
11111111-2222-3333-4444-555555555555 on login.microsoftonline.com, expires in a day with a
`refresh_on`, and carries a distinct secret of the given length. MSAL Python loads them the
way it loads its cache file (`SerializableTokenCache.deserialize`); `tracemalloc` counts what
the loaded cache holds (the JSON text is freed before the reading), divided by the tokens.
The document and the measurement are bench.py's (`document`, `memory_figure`), so both
scripts report the same figure for the same arguments.

Prints one line per secret length:
    FIGURE memory_per_token secret_len=L tokens=N bytes=B

Usage: python memory.py [TOKENS [SECRET_LEN ...]]   (default 100000, lengths 1500 and 16)
"""

import sys

from bench import memory_figure


def main():
    numbers = [int(a) for a in sys.argv[1:]]
    n = numbers[0] if numbers else 100000
    lengths = numbers[1:] or [1500, 16]
    for secret_len in lengths:
        print(
            "FIGURE memory_per_token secret_len=%d tokens=%d bytes=%d"
            % (secret_len, n, memory_figure(n, secret_len)),
            flush=True,
        )


if __name__ == "__main__":
    main()
