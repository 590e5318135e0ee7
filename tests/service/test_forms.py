"""The launch form of a template: fields from its parameters (types, defaults, labels,
help, hidden ones without their values, constraints in words), grouped as its
``parameter_groups`` say; the problems of what is submitted, each at its parameter or
at its file and line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crossheat.service import Inputs, Service, check_parameters, parameter_form

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = (ROOT / "examples" / "east-west-vpn.yaml").read_text()

GROUPED = """\
heat_template_version: 2018-08-31
description: A server and its size.
parameter_groups:
  - label: Sizing
    description: How big it is.
    parameters: [count, flavor]
  - label: Access
    parameters: [password]
parameters:
  count:
    type: number
    label: Servers
    default: 2
    constraints:
      - range: {min: 1, max: 8}
        description: between one and eight servers
  flavor:
    type: string
    default: m1.small
    constraints:
      - allowed_values: [m1.small, m1.medium]
  password:
    type: string
    hidden: true
    default: not-for-your-eyes
    constraints:
      - length: {min: 8, max: 64}
      - allowed_pattern: "[a-z-]+"
  ports:
    type: comma_delimited_list
    default: [22, 80]
  extra:
    type: json
    default: {a: 1}
  debug:
    type: boolean
    description: Log more.
  image:
    type: string
    constraints:
      - custom_constraint: glance.image
resources:
  nothing: {type: OS::Heat::None}
"""


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with Service(database_url=f"sqlite:///{tmp_path / 'forms.db'}") as service:
        yield service


def test_the_reference_form_has_every_parameter_and_hides_the_psk(service: Service) -> None:
    form = parameter_form(service, Inputs(REFERENCE, template_name="east-west-vpn.yaml"))
    assert form.ok, form.problems
    assert [f.name for f in form.fields] == [
        "image", "flavor", "public_net", "east_cidr", "west_cidr", "vpn_psk",
    ]  # fmt: skip
    assert len(form.groups) == 1 and form.groups[0].label is None
    psk = form.field("vpn_psk")
    assert psk.hidden and psk.required and psk.value is None and psk.default is None
    assert [(c.kind, c.text) for c in psk.constraints] == [("length", "length at least 16")]
    assert psk.min_length == 16
    assert psk.description == "Pre-shared key of the tunnel."
    flavor = form.field("flavor")
    assert (flavor.type, flavor.default, flavor.value, flavor.label) == (
        "string", "m1.small", "m1.small", "flavor",
    )  # fmt: skip
    assert not flavor.required
    assert form.description.startswith("Hybrid cloud across two regions")


def test_groups_labels_types_and_constraints_in_words(service: Service) -> None:
    form = parameter_form(service, Inputs(GROUPED))
    assert [(g.label, g.description, [f.name for f in g.fields]) for g in form.groups] == [
        ("Sizing", "How big it is.", ["count", "flavor"]),
        ("Access", None, ["password"]),
        (None, None, ["ports", "extra", "debug", "image"]),
    ]
    count = form.field("count")
    assert (count.label, count.type, count.value, count.min_value, count.max_value) == (
        "Servers", "number", "2", 1, 8,
    )  # fmt: skip
    assert count.constraints[0].text == "value from 1 to 8"
    assert count.constraints[0].description == "between one and eight servers"
    assert form.field("flavor").allowed_values == ("m1.small", "m1.medium")
    assert form.field("flavor").constraints[0].text == "one of: m1.small, m1.medium"
    password = form.field("password")
    assert password.hidden and password.has_default and not password.required
    assert not password.has_value
    assert password.value is None and password.default is None
    assert [c.text for c in password.constraints] == [
        "length from 8 to 64", "matches the pattern [a-z-]+",
    ]  # fmt: skip
    assert form.field("ports").value == "22,80"
    assert form.field("extra").value == '{"a": 1}'
    assert form.field("debug").type == "boolean" and not form.field("debug").required
    assert form.field("image").constraints[0].text == "a valid glance.image"
    assert form.field("image").required
    assert "not-for-your-eyes" not in repr(form)


def test_environment_values_prefill_but_hidden_ones_stay_empty(service: Service) -> None:
    env = "parameters:\n  flavor: m1.medium\n  password: from-the-env\n"
    form = parameter_form(service, Inputs(GROUPED, environments=[env]))
    assert form.field("flavor").value == "m1.medium"
    assert form.field("password").value is None and form.field("password").has_value
    assert "from-the-env" not in repr(form)


def test_submitted_values_get_errors_beside_their_parameters(service: Service) -> None:
    given = {"count": "9", "flavor": "m1.huge", "password": "Sh0rt", "debug": "maybe"}
    form = check_parameters(service, Inputs(GROUPED, parameters=given))
    assert not form.ok
    errors = form.errors
    assert set(errors) == {"count", "flavor", "password", "debug", "image"}
    assert errors["count"] == ["parameter 'count': between one and eight servers"]
    assert errors["flavor"] == [
        "parameter 'flavor': 'm1.huge' is not one of the allowed values: m1.small, m1.medium"
    ]
    assert errors["password"] == [
        "parameter 'password': length must be in the range 8 to 64",
        "parameter 'password': '******' does not match pattern '[a-z-]+'",
    ]
    assert errors["debug"] == ["parameter 'debug': 'maybe' is not a boolean (use true or false)"]
    assert errors["image"] == ["parameter 'image' needs a value: it has no default"]
    assert form.template_problems == []
    assert "Sh0rt" not in repr(form)


def test_a_form_not_yet_filled_in_shows_no_missing_values(service: Service) -> None:
    form = parameter_form(service, Inputs(GROUPED))
    assert form.ok and form.errors == {}


def test_template_errors_name_their_line_and_path(service: Service) -> None:
    broken = REFERENCE.replace("type: OS::Neutron::Router\n", "type: OS::Neutron::Routr\n", 1)
    form = check_parameters(
        service, Inputs(broken, template_name="vpn.yaml", parameters={"vpn_psk": "x" * 20})
    )
    assert form.errors == {} and not form.ok
    [problem] = [p for p in form.template_problems if p.severity == "error"]
    line = broken.splitlines().index("    type: OS::Neutron::Routr") + 1
    assert (problem.file, problem.line, problem.path) == (
        "vpn.yaml", line, "resources.east_router.type",
    )  # fmt: skip
    assert "OS::Neutron::Routr" in problem.message
    assert [f.name for f in form.fields][-1] == "vpn_psk"  # the form is still there


def test_yaml_that_does_not_parse_gives_its_line_and_no_fields(service: Service) -> None:
    form = parameter_form(service, Inputs("heat_template_version: 2018-08-31\nresources: [\n"))
    assert form.fields == []
    [problem] = form.template_problems
    assert (problem.file, problem.line, problem.code) == ("template.yaml", 3, "yaml-syntax")


def test_an_environment_error_names_the_environment_file(service: Service) -> None:
    env = "parameter_defaults:\n  flavor: m1.small\nparameters:\n  nope: 1\n"
    form = check_parameters(
        service, Inputs(GROUPED, environments=[env], parameters={"image": "cirros", "debug": "no"})
    )
    [problem] = form.problems
    assert problem.parameter is None
    assert (problem.file, problem.line) == ("environment-0.yaml", 4)
    assert "nope" in problem.message
