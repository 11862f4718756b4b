"""christmas-monitoring's policy pack: the stack's own rules, checked by `pulumi preview --policy-pack policy`.

One module per rule; `pack.POLICIES` lists them; `__main__.py` serves them to the Pulumi engine.
"""
