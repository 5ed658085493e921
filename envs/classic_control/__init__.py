"""Gymnasium's classic-control environments, one port per package (reference adapter, JAX translation, metadata)."""
