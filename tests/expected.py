"""What the stack must do, stated as an operator would state it: literals, never read from the code.

A test that compares the renderer's output with the renderer's own constant passes whatever the
constant says (HSTS at `max-age=0` included). These are the values the tests hold the code to;
changing one is a decision about behaviour, made here and in the docs, not a refactor.
"""

from __future__ import annotations

# Every answer of the edge (render/caddy.py; README "The edge"): HSTS for a year on every
# subdomain, no type sniffing, no framing by other sites, no paths in cross-origin Referers.
SECURITY_HEADERS: dict[str, str] = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
