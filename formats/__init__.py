"""Serialisers shared by the renderers (render/) and the monitoring mixin (mixin/): neither imports the other."""
