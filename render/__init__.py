"""What goes out: each service's configuration files, rendered from settings (pure functions).

A renderer never creates a resource; components upload what it returns into containers.
"""
