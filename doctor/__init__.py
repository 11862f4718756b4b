"""Day-2 operations of a deployed stack: `doctor` (the guide's troubleshooting checklist) and `test-alert`.

Everything goes through the stack's own `docker:host` (Docker Engine API) and the services'
HTTP APIs; credentials come from the stack (`pulumi stack output --show-secrets` or its config),
never from a command line, and are never printed.
"""
