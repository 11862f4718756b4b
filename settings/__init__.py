"""What comes in: the stack's settings and secrets, declared once, parsed, validated, frozen.

Also the service catalog (one row a service: image, port, limits). Nothing here declares a
resource or renders a file; components and renderers read what this package returns.
"""
