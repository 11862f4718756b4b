"""`python -m doctor <stack>` (make doctor STACK=<stack>)."""

import sys

from doctor.run import main

sys.exit(main())
