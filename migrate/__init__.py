"""``rootless migrate``: rewrites Docker usage for rootless Podman with minimal diffs."""
