"""Other stacks on this Docker host, found by the engine itself: what the plan could not see.

`pulumi preview` compares a stack's published ports and subnets with the project's other stacks whose
`docker:host` names the same daemon (settings/neighbours.py), judged from the URL's text: two stack files
that reach one daemon by different names (`ssh://ops@docker-1` and `tcp://10.0.0.5:2376`) are never
compared. doctor asks the daemon which stacks run there and names each one the plan did not compare.
"""

from __future__ import annotations

from doctor.report import Result, verdict
from doctor.stack import PROJECT_DIR, Target
from settings.neighbours import same_daemon_stacks

CHECK = "stacks on this Docker host"


def check_neighbours(t: Target) -> list[Result]:
    stack = t.settings.stack
    others = sorted(t.docker.stacks() - {stack})
    same = same_daemon_stacks(stack, PROJECT_DIR)
    compared = [o for o in others if o in same]
    unknown = [o for o in others if not (PROJECT_DIR / f"Pulumi.{o}.yaml").exists()]
    apart = [o for o in others if o not in same and o not in unknown]
    parts = [f"compared at preview: {', '.join(compared)}" if compared else "",
             f"never compared (their docker:host names another daemon): {', '.join(apart)}" if apart else "",
             f"no stack file here: {', '.join(unknown)}" if unknown else ""]
    saw = "; ".join(p for p in parts if p) or f"only stack {stack}"
    fix = (f"write the same docker:host in Pulumi.{stack}.yaml and in Pulumi.<stack>.yaml of "
           f"{', '.join(apart)} (e.g. `pulumi config set docker:host <url> -s <stack>`), then `pulumi preview` "
           "compares their ports and subnets")
    return [verdict(CHECK, not apart, f"{t.docker.host}: {saw}", fix,
                    t.link("operations.md", "2-is-every-service-up"))]
