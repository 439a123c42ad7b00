"""`user-namespaces`: the kernel lets unprivileged users create user namespaces - now and after
the next boot (live sysctls vs /etc/sysctl.d, kernel arguments vs the boot loader)."""

from __future__ import annotations

from rootless.doctor.common import assess_sysctl, fix, note, step
from rootless.doctor.facts import boot_config, distro_info, is_el7, kernel_cmdline
from rootless.doctor.model import Assessment, FixStep, Outcome
from rootless.doctor.registry import check
from rootless.doctor.runner import Context

EL7_ARG = "user_namespace.enable=1"
#: the value moby, rootlesscontaine.rs and the Docker docs use
MAX_USERNS = "28633"


def _positive(value: str) -> bool:
    return value.isdigit() and int(value) > 0


@check(
    "user-namespaces",
    "User namespaces",
    why=(
        "Every rootless container lives in a user namespace. When the kernel forbids creating one, "
        "podman stops at its first call with `cannot clone: Invalid argument` (CentOS 7), "
        "`No space left on device` (limit 0) or `Operation not permitted` (Debian's "
        "unprivileged_userns_clone=0)."
    ),
    templates=("sysctl", "sysctl-apply", "kernel-arg", "reboot", "note"),
    links=("https://rootlesscontaine.rs/getting-started/common/sysctl/",),
)
def check_user_namespaces(ctx: Context) -> Outcome:
    host = ctx.host
    a = Assessment()
    if not host.exists("/proc/self/ns/user"):
        a.fail(
            "this kernel has no user namespace support (/proc/self/ns/user is missing: CONFIG_USER_NS is off)"
        )
    live = assess_sysctl(
        ctx,
        a,
        "user.max_user_namespaces",
        _positive,
        MAX_USERNS,
        meaning="nobody may create a user namespace",
    )
    if live is not None and live.isdigit():
        a.data["max_user_namespaces"] = int(live)
        if 0 < int(live) < 1024:
            a.warn(
                f"user.max_user_namespaces is only {live}: a few containers and builds exhaust it (No space left on device)"
            )
    clone = assess_sysctl(
        ctx,
        a,
        "kernel.unprivileged_userns_clone",
        lambda v: v != "0",
        "1",
        meaning="Debian's switch forbids unprivileged user namespaces",
    )
    if clone is not None:
        a.data["unprivileged_userns_clone"] = clone
    distro = ctx.fact(distro_info)
    if is_el7(host, distro):
        cmdline = kernel_cmdline(host)
        boot = ctx.fact(boot_config)
        configured = [path for path, args in boot.args.items() if EL7_ARG in args]
        for error in boot.errors:
            a.warn(f"cannot read the boot loader configuration: {error}")
        a.data["el7_kernel_arg_live"] = EL7_ARG in cmdline
        a.data["el7_kernel_arg_configured"] = configured
        if EL7_ARG in cmdline:
            a.ok(f"{EL7_ARG} is on the kernel command line")
        elif configured:
            a.fail(
                f"{EL7_ARG} is configured in {', '.join(configured)} but the running kernel was booted "
                "without it: reboot pending",
                fix(
                    step(
                        "reboot",
                        f"reboot so the kernel starts with {EL7_ARG}",
                        part="root",
                        effect="reboot",
                        reason=f"kernel argument {EL7_ARG}",
                    )
                ),
            )
        else:
            a.fail(
                f"the kernel command line lacks {EL7_ARG}: CentOS/RHEL 7 kernels keep user namespaces off without it",
                fix(
                    step(
                        "kernel-arg",
                        f"add {EL7_ARG} to every boot entry",
                        part="root",
                        effect="reboot",
                        arg=EL7_ARG,
                    ),
                    step(
                        "reboot",
                        f"reboot so the kernel starts with {EL7_ARG}",
                        part="root",
                        effect="reboot",
                        reason=f"kernel argument {EL7_ARG}",
                    ),
                    note_el7(),
                ),
            )
    summary = "unprivileged users may create user namespaces"
    if "max_user_namespaces" in a.data:
        summary += f" (user.max_user_namespaces = {a.data['max_user_namespaces']})"
    return a.outcome(summary)


def note_el7() -> FixStep:
    return note(
        "CentOS/RHEL 7 reached end of life on 2024-06-30 and ships only Podman 1.x: plan the move to a supported release",
    )
