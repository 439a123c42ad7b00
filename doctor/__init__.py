"""``rootless doctor``: checks a host for rootless Podman and prints the fixes."""
