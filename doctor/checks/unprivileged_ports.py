"""`unprivileged-ports`: rootless containers may publish the ports Docker users publish
(80/443), i.e. net.ipv4.ip_unprivileged_port_start is at most 80."""

from __future__ import annotations

from rootless.doctor.common import assess_sysctl
from rootless.doctor.model import Assessment, Outcome, skip
from rootless.doctor.registry import check
from rootless.doctor.runner import Context

KEY = "net.ipv4.ip_unprivileged_port_start"


@check(
    "unprivileged-ports",
    "Low ports (80/443) for rootless containers",
    why=(
        "Docker's root daemon binds any port; rootless, `-p 80:80` fails with `rootlessport cannot "
        "expose privileged port 80` (pasta: `Listen failed for HOST TCP port */80: Permission "
        "denied`) unless net.ipv4.ip_unprivileged_port_start allows it. 80 keeps ssh and other "
        "system ports privileged."
    ),
    templates=("sysctl", "sysctl-apply"),
)
def check_unprivileged_ports(ctx: Context) -> Outcome:
    a = Assessment()
    live = assess_sysctl(
        ctx,
        a,
        KEY,
        lambda v: v.isdigit() and int(v) <= 80,
        "80",
        bad_status="warn",
        meaning="publishing ports below it fails rootless, e.g. docker -p 80:80",
    )
    if live is None:
        return skip(f"not applicable: this kernel has no {KEY}")
    a.data["start"] = live
    return a.outcome(f"{KEY} = {live}: rootless containers may publish ports from {live} up")
