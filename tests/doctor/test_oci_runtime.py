from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import HOSTS, check_case, fix_templates, text_of

HYBRID = (HOSTS / "alpine-openrc/root/proc/self/mountinfo").read_text()


@pytest.mark.parametrize(
    ("base", "files", "status", "expected", "templates"),
    [
        pytest.param(
            "rhel9-ok",
            {},
            "ok",
            "crun at /usr/bin/crun (podman's choice)",
            [],
            id="crun on cgroup v2",
        ),
        pytest.param(
            "alpine-openrc",
            {"/sys/fs/cgroup/unified/cgroup.controllers": "hugetlb\n"},
            "fail",
            "crun (/usr/bin/crun) refuses this hybrid cgroup host: the cgroup v2 hierarchy has controllers (hugetlb)",
            ["install-packages", "use-runc"],
            id="crun on hybrid with v2 controllers, no runc",
        ),
        pytest.param(
            "alpine-openrc",
            {
                "/sys/fs/cgroup/unified/cgroup.controllers": "hugetlb\n",
                "/usr/bin/runc": "#!/bin/sh\n",
            },
            "fail",
            "cgroups in hybrid mode not supported, drop all controllers from cgroupv2",
            ["use-runc"],
            id="crun on hybrid with v2 controllers, runc installed",
        ),
        pytest.param(
            "alpine-openrc",
            {},
            "ok",
            "crun at /usr/bin/crun",
            [],
            id="crun on hybrid with an empty v2 tree",
        ),
        pytest.param(
            "alpine-openrc",
            {
                "/sys/fs/cgroup/unified/cgroup.controllers": "hugetlb\n",
                "/usr/bin/crun": None,
                "/usr/bin/runc": "#!/bin/sh\n",
            },
            "ok",
            "crun would refuse this host",
            [],
            id="runc on the same host is fine",
        ),
        pytest.param(
            "rhel9-ok",
            {"/usr/bin/crun": None},
            "fail",
            "the OCI runtime crun (podman's choice) is not installed",
            ["install-packages"],
            id="no runtime at all",
        ),
        pytest.param(
            "rhel9-ok",
            {"/etc/containers/containers.conf": '[engine]\nruntime = "runc"\n'},
            "fail",
            "the OCI runtime runc (configured in containers.conf) is not installed",
            ["install-packages"],
            id="configured runtime missing",
        ),
    ],
)
def test_oci_runtime(
    tmp_path: Path, *, base: str, files: dict, status: str, expected: str, templates: list
) -> None:
    finding = check_case(tmp_path, "oci-runtime", base=base, files=files)
    assert finding.status.value == status
    assert expected in text_of(finding)
    assert fix_templates(finding) == templates
