"""Image commands of ``rootless engine``: pull, images, rmi, prune (thin over the library)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from rootless.exitcodes import ExitCode


def _store() -> Any:
    from rootless.engine.store import Store  # noqa: PLC0415

    return Store()


def engine_options(
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            envvar="ROOTLESS_STORE",
            help="Image and container store (default: $XDG_DATA_HOME/rootless, i.e. ~/.local/share/rootless).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """An embedded rootless container engine."""
    if store is not None:
        # every engine command (and anything it spawns) reads the store from the environment
        os.environ["ROOTLESS_STORE"] = str(store.expanduser().absolute())


def _tls(value: str | None) -> bool | None:
    from rootless.engine.pullcmd import parse_bool  # noqa: PLC0415
    from rootless.errors import UsageError  # noqa: PLC0415

    try:
        return parse_bool(value)
    except UsageError as exc:
        raise typer.BadParameter(exc.message, param_hint="--tls-verify") from exc


def pull(
    image: str = typer.Argument(
        ..., help="Image reference, e.g. docker.io/library/busybox:latest or a short name."
    ),
    platform: str | None = typer.Option(
        None,
        "--platform",
        metavar="OS/ARCH[/VARIANT]",
        help="Pick this platform from a multi-arch image (default: this host).",
    ),
    tls_verify: str | None = typer.Option(
        None,
        "--tls-verify",
        metavar="BOOL",
        help="Require HTTPS with a valid certificate (default: true unless registries.conf marks the registry insecure). --tls-verify=false also allows plain http://.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the image id."),
) -> int:
    """Pull an image from a registry and unpack it, rootless.

    Layers are downloaded concurrently and verified against their digests, then unpacked
    inside a user namespace with your /etc/subuid range, so files keep their owners.

    Examples:

      rootless engine pull docker.io/library/busybox

      rootless engine pull --tls-verify=false 127.0.0.1:5000/library/busybox:latest

      rootless engine pull --platform linux/arm64 docker.io/library/alpine:3.20
    """
    from rootless.engine.pullcmd import run_pull  # noqa: PLC0415

    return run_pull(image, platform=platform, tls_verify=_tls(tls_verify), quiet=quiet)


def images(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only image ids."),
    digests: bool = typer.Option(False, "--digests", help="Show manifest digests."),
) -> int:
    """List local images.

    Examples:

      rootless engine images

      rootless engine images --json
    """
    from rootless.engine.pullcmd import human_age, human_size  # noqa: PLC0415
    from rootless.engine.ref import parse_qualified  # noqa: PLC0415
    from rootless.engine.store import RootfsInfo  # noqa: PLC0415
    from rootless.errors import RootlessError  # noqa: PLC0415

    store = _store()
    rows: list[dict[str, Any]] = []
    for entry, rec in store.images():
        info = RootfsInfo.read(store.rootfs_info_path(rec.config_digest))
        try:
            ref = parse_qualified(rec.name)
            repo, tag = ref.repository, ref.tag or "<none>"
        except RootlessError:
            repo, tag = rec.name, "<none>"
        rows.append(
            {
                "name": rec.name,
                "repository": repo,
                "tag": tag,
                "id": rec.id,
                "digest": entry.index_digest or rec.manifest_digest,
                "manifest_digest": rec.manifest_digest,
                "config_digest": rec.config_digest,
                "created": rec.config.get("created"),
                "size": info.size if info else None,
                "rootfs": str(rec.rootfs),
                "unpacked": rec.rootfs.is_dir() and info is not None,
                "full_mapping": rec.full_mapping,
            }
        )
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return ExitCode.OK
    if quiet:
        seen: set[str] = set()
        for row in rows:
            if row["id"] not in seen:
                seen.add(row["id"])
                sys.stdout.write(row["id"][:12] + "\n")
        return ExitCode.OK
    header = (
        ["REPOSITORY", "TAG"]
        + (["DIGEST"] if digests else [])
        + ["IMAGE ID", "CREATED", "SIZE", "MAPPING"]
    )
    table = [header]
    for row in rows:
        line = [row["repository"], row["tag"]]
        if digests:
            line.append(row["digest"])
        size = human_size(row["size"]) if row["size"] is not None else "-"
        mapping = (
            ("full" if row["full_mapping"] else "single") if row["unpacked"] else "not unpacked"
        )
        line += [row["id"][:12], human_age(row["created"]), size, mapping]
        table.append(line)
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for r in table:
        sys.stdout.write(
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n"
        )
    return ExitCode.OK


def _report(report: Any, as_json: bool) -> None:
    from rootless.engine.pullcmd import human_size  # noqa: PLC0415

    if as_json:
        sys.stdout.write(
            json.dumps(
                {
                    "removed_images": report.removed_images,
                    "removed_rootfs": report.removed_rootfs,
                    "removed_blobs": report.removed_blobs,
                    "reclaimed_bytes": report.reclaimed,
                    "kept_for_containers": report.kept_for_containers,
                },
                indent=2,
            )
            + "\n"
        )
        return
    for name in report.removed_images:
        sys.stdout.write(f"Untagged: {name}\n")
    for hexid in report.removed_rootfs:
        sys.stdout.write(f"Deleted: {hexid}\n")
    if report.kept_for_containers:
        sys.stderr.write(
            f"note: kept files still used by container(s) {', '.join(sorted(set(report.kept_for_containers)))}\n"
        )
    sys.stderr.write(
        f"Removed {report.removed_blobs} blob(s), reclaimed {human_size(report.reclaimed)}\n"
    )


def rmi(
    images: Annotated[list[str], typer.Argument(help="Image names, ids (prefixes) or digests.")],
    force: bool = typer.Option(
        False,
        "--force",
        "-f",
        help="Untag even when a container uses the image (its files stay until the container is removed).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> int:
    """Remove local images; layers shared with other images are kept.

    Examples:

      rootless engine rmi 127.0.0.1:5000/library/busybox:latest

      rootless engine rmi 3f57d9401f8d
    """
    _report(_store().remove(images, force=force), as_json)
    return ExitCode.OK


def prune(
    all_images: bool = typer.Option(
        False, "--all", "-a", help="Also remove every image no container uses."
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> int:
    """Remove unreferenced layers, unpacked trees and leftovers of interrupted pulls.

    Examples:

      rootless engine prune

      rootless engine prune --all
    """
    _report(_store().prune(all_images=all_images), as_json)
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    """Add the image commands and the group's ``--store`` option to ``app``."""
    app.callback()(engine_options)
    app.command("pull")(pull)
    app.command("images")(images)
    app.command("rmi")(rmi)
    app.command("prune")(prune)
