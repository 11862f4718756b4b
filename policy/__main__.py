"""Entry point of the policy pack: `pulumi preview --policy-pack policy`.

The engine runs this file with policy/ as the program; the rules are imported as the `policy`
package (as the tests import them), so the repository root goes on the path first.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.pack import PACK_NAME, POLICIES
from policy.secret_marks import keep_secret_markers

keep_secret_markers()
PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
