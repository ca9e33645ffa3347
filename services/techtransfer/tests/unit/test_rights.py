"""Exclusivity: which grants of one technology cannot stand together."""

import pytest

from techtransfer.domain.rights import Grant, LicenseKind, conflicts, first_conflict


def grant(license_id="lic_a", kind="exclusive", territory=("DE",), field="medical imaging", attempt="exe_1"):
    return Grant(
        license_id=license_id,
        attempt=attempt,
        licensee_id="ptn_" + license_id,
        kind=LicenseKind(kind),
        territory=list(territory),
        field_of_use=field,
    )


@pytest.mark.parametrize(
    ("first", "second", "clash"),
    [
        # exclusive against exclusive: only where territory and field both overlap
        ({}, {}, True),
        ({}, {"territory": ("FR",)}, False),
        ({}, {"field": "agriculture"}, False),
        ({}, {"territory": ("FR", "DE")}, True),
        ({"territory": ("worldwide",)}, {"territory": ("BR",)}, True),
        ({}, {"territory": ("worldwide",)}, True),
        ({}, {"field": "all"}, True),
        ({"field": "ALL"}, {"field": "agriculture", "territory": ("DE",)}, True),
        ({}, {"field": "  Medical  IMAGING "}, True),
        # an exclusive license is exclusive against non-exclusive grants and options too
        ({}, {"kind": "non_exclusive"}, True),
        ({"kind": "non_exclusive", "territory": ("worldwide",)}, {}, True),
        ({}, {"kind": "option"}, True),
        ({"kind": "non_exclusive", "territory": ("FR",)}, {}, False),
        # non-exclusive grants and options never clash
        ({"kind": "non_exclusive"}, {"kind": "non_exclusive"}, False),
        ({"kind": "non_exclusive", "territory": ("worldwide",)}, {"kind": "option", "field": "all"}, False),
        # an assignment clashes with everything, whatever the territory or field
        (
            {"kind": "assignment", "territory": ("KR",)},
            {"kind": "non_exclusive", "territory": ("US",), "field": "x"},
            True,
        ),
        ({"kind": "non_exclusive", "territory": ("US",)}, {"kind": "assignment", "territory": ("KR",)}, True),
        ({"kind": "assignment"}, {"kind": "assignment"}, True),
    ],
)
def test_two_grants_clash_by_kind_territory_and_field(first, second, clash):
    a = grant("lic_a", **first)
    b = grant("lic_b", **second)
    assert conflicts(b, a) is clash
    assert conflicts(a, b) is clash  # the rule is symmetric


def test_a_license_never_clashes_with_itself():
    assert not conflicts(grant("lic_a", attempt="exe_2"), grant("lic_a", attempt="exe_1"))
    assert not conflicts(grant("lic_a", kind="assignment"), grant("lic_a", kind="assignment"))


def test_the_first_clash_is_named():
    held = [grant("lic_x", territory=("FR",)), grant("lic_y", territory=("DE",)), grant("lic_z")]
    assert first_conflict(grant("lic_new"), held).license_id == "lic_y"
    assert first_conflict(grant("lic_new", territory=("IT",)), held) is None
