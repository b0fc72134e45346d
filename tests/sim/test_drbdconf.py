# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The simulator's drbd.conf parser: the syntax admins write, drbdadm's post-parse rules, and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from xenha_sim.drbdconf import ConfError, crc32c, implicit_node_ids, load_conf, parse_conf

BASIC = """\
# /etc/drbd.conf as written by an admin
global { usage-count no; }
common {
    net { protocol C; }          # trailing comment
    disk { on-io-error detach; }
}
resource r0 {
    device /dev/drbd0;
    disk /dev/vg/r0;
    meta-disk internal;
    on ha1 { address 10.0.0.1:7788; }
    on ha2 { address 10.0.0.2:7788; }
    net {
        allow-two-primaries;
        after-sb-0pri discard-zero-changes;
        after-sb-1pri discard-secondary;
        after-sb-2pri disconnect;
    }
    startup { become-primary-on both; }
}
"""


def test_basic_resource_is_expanded_like_drbdadm() -> None:
    conf = parse_conf(BASIC, "/etc/drbd.conf")
    res = conf.resource("r0")
    assert res is not None
    assert [h.name for h in res.hosts] == ["ha1", "ha2"]
    ha1 = res.host("ha1")
    assert ha1 is not None and ha1.address == "10.0.0.1" and ha1.port == "7788" and ha1.family == "ipv4"
    vol = ha1.volume(0)
    assert vol is not None and vol.implicit and vol.minor == 0 and vol.disk == "/dev/vg/r0"
    assert vol.meta_disk == "internal" and vol.meta_index == "internal"
    # common options are prepended (v84/drbdadm_main.c expand_opts); flags mean "yes"
    assert res.net[0] == ("protocol", "C")
    assert res.net_option("allow-two-primaries") == "yes"
    assert res.become_primary_on == ("both",)
    assert vol.disk_options == (("on-io-error", "detach"),)
    # the raw resource keeps what the file says (plain `drbdadm dump` does not expand common)
    raw = conf.raw_resource("r0")
    assert raw is not None and ("protocol", "C") not in raw.net
    assert res.peers("ha1")[0].name == "ha2"
    assert conf.for_node("ha3") == ()


def test_volumes_includes_and_quoted_strings(tmp_path: Path) -> None:
    (tmp_path / "drbd.d").mkdir()
    (tmp_path / "drbd.d" / "global_common.conf").write_text('common { handlers { split-brain "/x.sh root"; } }\n')
    (tmp_path / "drbd.d" / "vm1.res").write_text(
        "resource vm1 {\n"
        "  on ha1 { address ipv4 10.0.0.1:7790; volume 0 { device minor 3; disk /dev/vg/a; meta-disk internal; }\n"
        "           volume 1 { device /dev/drbd4 minor 4; disk /dev/vg/b; meta-disk /dev/vg/md [2]; } }\n"
        "  on ha2 { address ipv4 10.0.0.2:7790; volume 0 { device minor 3; disk /dev/vg/a; meta-disk internal; }\n"
        "           volume 1 { device /dev/drbd4 minor 4; disk /dev/vg/b; meta-disk /dev/vg/md; } }\n"
        "}\n"
    )
    (tmp_path / "drbd.conf").write_text('include "drbd.d/global_common.conf";\ninclude "drbd.d/*.res";\n')
    conf = load_conf(str(tmp_path / "drbd.conf"))
    res = conf.resource("vm1")
    assert res is not None and res.file.endswith("vm1.res") and res.line == 1
    assert dict(res.handlers)["split-brain"] == "/x.sh root"
    ha1 = res.host("ha1")
    assert ha1 is not None
    assert [(v.vnr, v.minor, v.meta_index) for v in ha1.volumes] == [(0, 3, "internal"), (1, 4, "2")]
    ha2 = res.host("ha2")
    assert ha2 is not None and ha2.volumes[1].meta_index == "flexible"
    assert ha2.volumes[1].device_path == "/dev/drbd4"


def test_resource_level_volumes_are_inherited_by_hosts() -> None:
    conf = parse_conf(
        "resource r1 { volume 0 { device minor 1; disk /dev/a; meta-disk internal; }\n"
        "  on a { address 1.1.1.1:7000; } on b { address 1.1.1.2:7000; node-id 5; } }\n".replace("node-id 5;", "")
    )
    res = conf.resource("r1")
    assert res is not None
    assert all(h.volume(0) is not None and h.volume(0).minor == 1 for h in res.hosts)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("resource r0 {\n on ha1 { address 10.0.0.1:7788; }\n", 2, "end of file"),
        ("resource r0 {\n  bogus 1;\n}\n", 2, "unknown keyword 'bogus'"),
        ('resource r0 {\n  disk "unterminated;\n}\n', 2, "Unterminated double quoted string"),
        ("resource r0 {\n device /dev/drbd0; disk /d; meta-disk internal;\n on ha1 { }\n}\n", 3, "'address'"),
        ("resource r0 {\n on ha1 { address nowhere; }\n}\n", 2, "IP:PORT"),
        ("frobnicate { }\n", 1, "unexpected 'frobnicate'"),
        ("resource a { }\nresource a { }\n", 2, "already used"),
    ],
)
def test_errors_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ConfError) as exc:
        parse_conf(text, "/etc/drbd.conf")
    assert exc.value.line == line
    assert words in str(exc.value)
    assert str(exc.value).startswith(f"/etc/drbd.conf:{line}: ")


# Node ids drbdadm 9.22 assigned when no `node-id` is given (observed with the real /usr/sbin/drbdadm -d up,
# __DRBD_NODE__=ha1): (ha1 address, ha2 address) -> ha1's node id.
OBSERVED_IDS = [
    ("10.0.0.1", "10.0.0.2", 0),
    ("127.0.0.1", "10.0.0.2", 1),
    ("9.0.0.1", "10.0.0.2", 1),
    ("10.0.0.3", "10.0.0.2", 0),
    ("192.168.1.1", "192.168.1.2", 0),
    ("192.168.1.2", "192.168.1.1", 1),
    ("1.1.1.1", "2.2.2.2", 0),
    ("2.2.2.2", "1.1.1.1", 1),
    ("10.0.0.9", "10.0.0.10", 0),
]


@pytest.mark.parametrize(("a", "b", "expected"), OBSERVED_IDS)
def test_implicit_node_ids_match_drbdadm_9(a: str, b: str, expected: int) -> None:
    conf = parse_conf(BASIC.replace("10.0.0.1:", f"{a}:").replace("10.0.0.2:", f"{b}:"))
    res = conf.resource("r0")
    assert res is not None
    ids = implicit_node_ids(res)
    assert ids["ha1"] == expected and ids["ha2"] == 1 - expected


def test_crc32c_is_the_castagnoli_polynomial() -> None:
    # RFC 3720 B.4 check value for "123456789" with the usual init/final inversion
    assert crc32c(0xFFFFFFFF, b"123456789") ^ 0xFFFFFFFF == 0xE3069283
