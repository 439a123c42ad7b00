"""The embedded rootless engine: pull, unpack and run OCI images as an unprivileged user."""
