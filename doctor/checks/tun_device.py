"""`tun-device`: /dev/net/tun exists, is usable by unprivileged users, and (probe) a tap device
can be created in a rootless network namespace, as pasta and slirp4netns do."""

from __future__ import annotations

from rootless.doctor.common import fix, step
from rootless.doctor.facts import namespace_probe
from rootless.doctor.model import Assessment, Outcome
from rootless.doctor.registry import check
from rootless.doctor.runner import Context

DEVICE = "/dev/net/tun"


@check(
    "tun-device",
    "/dev/net/tun for rootless networking",
    requires=("not-root",),
    after=("user-namespaces",),
    timeout=20.0,
    prefetch=(namespace_probe,),
    why=(
        "Rootless containers reach the network through pasta or slirp4netns, which open "
        "/dev/net/tun inside the container's namespaces and create a tap device. Missing, or "
        "not world-accessible, every container start with networking fails."
    ),
    templates=("tun-device",),
)
def check_tun_device(ctx: Context) -> Outcome:
    host = ctx.host
    a = Assessment()
    st = host.stat(DEVICE)
    remedy = fix(
        step(
            "tun-device",
            "load the tun module and make /dev/net/tun mode 0666 (now and at boot)",
            part="root",
            effect="now",
        )
    )
    if st is None:
        a.fail(f"{DEVICE} does not exist (the tun module is not loaded)", remedy)
        return a.outcome("")
    if not st.is_char_device:
        a.fail(f"{DEVICE} is not a character device", remedy)
        return a.outcome("")
    a.data["mode"] = f"{st.perms:04o}"
    if st.perms & 0o006 != 0o006:
        a.fail(
            f"{DEVICE} has mode {st.perms:04o}: inside a user namespace it cannot be opened "
            "(pasta/slirp4netns fail with Permission denied); it should be 0666",
            remedy,
        )
    else:
        a.ok(f"{DEVICE} is a character device with mode {st.perms:04o}")
    blocker = host.probe_blocker()
    userns = ctx.result("user-namespaces")
    if not ctx.probes:
        a.info("not probed: probes disabled (--no-probe)")
    elif blocker:
        a.info(f"not probed: {blocker}")
    elif userns is not None and userns.status.value not in ("ok", "warn"):
        a.info("not probed: user namespaces are not available (see user-namespaces)")
    else:
        res = ctx.fact(namespace_probe).probe.tun
        a.data["probed"] = True
        if res.ok:
            a.ok("probe: opened /dev/net/tun in a user+network namespace and created a tap device")
        else:
            lines = res.error.strip().splitlines() or ["failed"]
            a.fail(f"probe: {lines[0]}", remedy)
            for line in lines[1:]:
                a.info(f"| {line}")
    if a.data.get("probed"):
        return a.outcome(f"{DEVICE} is usable from a rootless network namespace")
    return a.outcome(f"{DEVICE} is a character device with mode {st.perms:04o} (not probed)")
