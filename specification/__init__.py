"""The platform's specification as data (specification/guide.py), read by the rules (mixin/) and the renderers
(render/) alike."""
