"""What goes out: each service's configuration files, rendered by pure functions."""
