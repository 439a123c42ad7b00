"""``rootless migrate --verify``: does each image reference exist on its registry?

Uses the engine's registry client (:mod:`rootless.engine.registry`): registries.conf is
honoured (insecure registries, mirrors, blocked prefixes) through the same endpoint
selection as ``rootless engine pull``, credentials come from the same auth files, and the
Bearer token flow is anonymous when there are none. Each distinct reference costs one
``HEAD /v2/<repo>/manifests/<tag|digest>`` (plus the ping and token requests once per
registry); references are checked in parallel threads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    ref: str
    ok: bool
    #: why it is not resolvable ("not found on docker.io", "authentication required", ...)
    reason: str = ""


def check_reference(ref: str, *, timeout: float = 20.0) -> Verdict:
    """Ask the registry (or its mirrors) whether ``ref``'s manifest exists."""
    from rootless.engine import ref as refmod  # noqa: PLC0415
    from rootless.engine.pull import _endpoints  # noqa: PLC0415
    from rootless.engine.registry import ACCEPT  # noqa: PLC0415
    from rootless.errors import RootlessError  # noqa: PLC0415

    try:
        parsed = refmod.parse_qualified(ref)
        conf = refmod.RegistriesConf.load()
        endpoints = _endpoints(parsed, conf, None, timeout)
    except RootlessError as exc:
        return Verdict(ref, False, str(exc))
    reasons: list[str] = []
    for ep in endpoints:
        reg = ep.registry
        reg.retries = 2
        try:
            resp = reg.request(
                "HEAD",
                f"/v2/{ep.repo}/manifests/{parsed.manifest_ref}",
                scope=f"repository:{ep.repo}:pull",
                headers={"Accept": ACCEPT},
            )
            resp.read()
            status = resp.status
        except RootlessError as exc:
            reasons.append(str(exc))
            continue
        except OSError as exc:
            reasons.append(f"cannot reach {reg.name}: {exc.strerror or exc}")
            continue
        finally:
            reg.close()
        if status == 200:
            return Verdict(ref, True)
        if status == 404:
            reasons.append(f"not found on {reg.name}")
        elif status in (401, 403):
            reasons.append(f"{reg.name} requires a login to see it (podman login {reg.name})")
        else:
            reasons.append(f"{reg.name} answered {status}")
    return Verdict(ref, False, "; ".join(reasons) or "no registry to ask")


def check_all(refs: Iterable[str], *, jobs: int = 8, timeout: float = 20.0) -> dict[str, Verdict]:
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    unique = sorted(set(refs))
    if not unique:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(unique)))) as pool:
        verdicts = list(pool.map(lambda r: check_reference(r, timeout=timeout), unique))
    return {v.ref: v for v in verdicts}
