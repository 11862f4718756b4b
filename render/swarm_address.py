"""A POSIX sh function (busybox ip and awk): this network namespace's IPv4 address inside a subnet.

A Swarm task or a host-network agent knows its networks' subnets (from the program) but not its own
address in them; `address_in 10.0.5.0/24` prints it, or nothing. awk numbers are doubles, exact for
32-bit addresses; no `^` or `%`: busybox awk in the image has no math library.
"""

from __future__ import annotations

ADDRESS_IN_SUBNET = r"""address_in() {
  ip -o -4 addr show | awk -v net="$1" '
    function num(a,  p) { split(a, p, "."); return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4] }
    BEGIN { split(net, s, "/"); size = 1; for (i = s[2]; i < 32; i++) size *= 2; base = int(num(s[1]) / size) * size }
    { split($4, a, "/"); x = num(a[1]); if (x >= base && x < base + size) { print a[1]; exit } }'
}"""
