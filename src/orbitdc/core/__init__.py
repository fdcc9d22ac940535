"""Numeric kernels on plain numpy arrays.

Nothing here knows about scenarios, files or the CLI. Units are in names (km, s, rad, W, K);
arrays are vectorised over satellites (leading axis) and times (trailing axis) where both apply.
"""
