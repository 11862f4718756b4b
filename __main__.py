"""christmas-monitoring: load the stack settings, declare the stack, export its URLs."""

import pulumi

from components.stack import MonitoringStack, MonitoringStackArgs
from settings.model import SettingsError, load_settings

try:
    settings, secrets = load_settings()
except SettingsError as error:
    # A user mistake: the message names each key and its fix; no traceback.
    raise pulumi.RunError(str(error)) from None

stack = MonitoringStack("monitoring", MonitoringStackArgs(settings=settings, secrets=secrets))

for key, url in stack.urls.items():
    pulumi.export(key, url)
for key, value in stack.generated_secrets.items():
    # Generated dev passwords: secret outputs, read with `pulumi stack output --show-secrets`.
    pulumi.export(key, value)
