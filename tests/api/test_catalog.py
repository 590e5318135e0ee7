"""Template and type routes, written from Heat's API reference and heat-tempest-plugin's
``templates.yaml`` and ``resourcetypes.yaml``: validate, resource types (list, schema,
generated template), template versions and functions, build info."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crossheat import __version__

V1 = "/v1/alpha"


def test_validate_answers_heats_keys_without_parameter_values(client: TestClient) -> None:
    template = {
        "heat_template_version": "2016-04-08",
        "parameters": {"test_val": {"type": "string"}},
        "resources": {
            "test": {
                "type": "OS::Heat::TestResource",
                "properties": {"value": {"get_param": "test_val"}},
            },
            "v": {"type": "OS::Heat::Value", "properties": {"value": {"get_param": "test_val"}}},
        },
        "outputs": {"output_value": {"value": {"get_attr": ["test", "output"]}}},
    }
    answer = client.post(f"{V1}/validate", json={"template": template})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "Description": "No description",
        "Parameters": {
            "test_val": {
                "Type": "String",
                "Description": "",
                "NoEcho": "false",
                "Label": "test_val",
            }
        },
        "Environment": {
            "resource_registry": {"resources": {}},
            "parameters": {},
            "parameter_defaults": {},
            "event_sinks": [],
        },
    }


def test_validate_parameters_groups_constraints_and_secrets(client: TestClient) -> None:
    template = """
heat_template_version: 2018-08-31
description: Two numbers and a secret
parameter_groups:
  - label: sizing
    parameters: [count]
parameters:
  count:
    type: number
    label: How many
    default: 2
    constraints:
      - range: {min: 1, max: 8}
        description: one to eight
      - modulo: {step: 2, offset: 0}
  name:
    type: string
    constraints:
      - length: {min: 3}
      - allowed_pattern: "[a-z]+"
      - allowed_values: [abc, abcd]
    tags: [naming]
  password:
    type: string
    hidden: true
    default: hunter2-secret
  sizes:
    type: comma_delimited_list
    default: "1,2"
resources:
  r:
    type: OS::Heat::None
"""
    body = {
        "template": template,
        "parameters": {"name": "abc"},
        "environment": {"parameter_defaults": {"password": "s3cret-default"}},
    }
    answer = client.post(f"{V1}/validate", json=body)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["Description"] == "Two numbers and a secret"
    assert result["ParameterGroups"] == [{"label": "sizing", "parameters": ["count"]}]
    params = result["Parameters"]
    assert params["count"] == {
        "Type": "Number", "Description": "", "NoEcho": "false", "Label": "How many",
        "Default": 2, "MinValue": 1, "MaxValue": 8, "Step": 2, "Offset": 0,
        "ConstraintDescription": "one to eight",
    }  # fmt: skip
    assert params["name"] == {
        "Type": "String", "Description": "", "NoEcho": "false", "Label": "name",
        "Value": "abc", "Tags": ["naming"], "MinLength": 3, "AllowedPattern": "[a-z]+",
        "AllowedValues": ["abc", "abcd"],
    }  # fmt: skip
    assert params["password"]["NoEcho"] == "true"
    assert params["password"]["Default"] == "******"
    assert params["sizes"]["Type"] == "CommaDelimitedList"
    assert result["Environment"]["parameters"] == {"name": "abc"}
    assert result["Environment"]["parameter_defaults"] == {"password": "******"}
    assert "hunter2" not in answer.text and "s3cret" not in answer.text


def test_validate_failure_names_file_line_and_path(client: TestClient) -> None:
    template = (
        "heat_template_version: 2016-04-08\n"
        "resources:\n"
        "  x:\n"
        "    type: OS::Nope\n"
        "  y:\n"
        "    type: OS::Heat::Value\n"
        "    properties: {valu: 1}\n"
    )
    answer = client.post(f"{V1}/validate", json={"template": template})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["type"] == "HTTPBadRequest"
    lines = error["message"].splitlines()
    assert (
        "template.yaml:4:5: error: resources.x.type: unknown resource type 'OS::Nope'" in lines[0]
    )
    assert any(
        line.startswith("template.yaml:7:") and "resources.y.properties.valu" in line
        for line in lines
    )


def test_validate_reads_files_and_environment_files_as_heatclient_sends_them(
    client: TestClient,
) -> None:
    nested = '{"heat_template_version": "2016-04-08", "parameters": {"v": {"type": "string"}}, "resources": {"n": {"type": "OS::Heat::Value", "properties": {"value": {"get_file": "file:///work/t/lib/data.txt"}}}}}'  # noqa: E501
    template = {
        "heat_template_version": "2016-04-08",
        "parameters": {"who": {"type": "string"}},
        "resources": {
            "inner": {"type": "file:///work/t/lib/inner.yaml", "properties": {"v": "x"}},
            "mine": {"type": "My::Thing"},
        },
    }
    env = '{"resource_registry": {"My::Thing": "OS::Heat::None"}, "parameters": {"who": "me"}}'
    body = {
        "template": template,
        "files": {
            "file:///work/t/lib/inner.yaml": nested,
            "file:///work/t/lib/data.txt": "hello",
            "file:///work/t/env.yaml": env,
        },
        "environment": {"parameters": {"who": "ignored"}},
        "environment_files": ["file:///work/t/env.yaml"],
    }
    answer = client.post(f"{V1}/validate", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["Parameters"]["who"]["Value"] == "me"
    assert answer.json()["Environment"]["resource_registry"] == {
        "My::Thing": "OS::Heat::None",
        "resources": {},
    }
    missing = dict(body, files={})
    assert client.post(f"{V1}/validate", json=missing).status_code == 400


EMPTY = {"template": {"heat_template_version": "2016-04-08"}}
NO_BODY = (
    "The server could not comply with the request since it is either malformed or "
    "otherwise incorrect."
)
NO_URL = (
    "Could not retrieve template: crossheat does not fetch template_url; send the template "
    "itself in 'template'"
)
NOT_BOOLEAN = 'Unrecognized value "yes" for "show_nested", acceptable values are: true, false.'


@pytest.mark.parametrize(
    ("body", "query", "message"),
    [
        (None, {}, NO_BODY),
        ({}, {}, "No template specified"),
        ({"template_url": "http://x/t.yaml"}, {}, NO_URL),
        (EMPTY, {"ignore_errors": "1,99001"}, "Invalid codes in ignore_errors : ['1']"),
        (EMPTY, {"show_nested": "yes"}, NOT_BOOLEAN),
    ],
)
def test_validate_bad_requests(
    client: TestClient, body: Any, query: dict[str, str], message: str
) -> None:
    answer = client.post(f"{V1}/validate", json=body, params=query)
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == message


def test_resource_types_list_and_filters(client: TestClient) -> None:
    everything = client.get(f"{V1}/resource_types").json()["resource_types"]
    assert "OS::Heat::TestResource" in everything and "OS::Neutron::Net" in everything
    assert everything == sorted(everything)
    heat = client.get(f"{V1}/resource_types", params={"name": "OS::Heat::"}).json()
    assert set(heat["resource_types"]) == {
        "OS::Heat::None", "OS::Heat::RandomString", "OS::Heat::ResourceGroup",
        "OS::Heat::TestResource", "OS::Heat::Value",
    }  # fmt: skip
    anchored = client.get(f"{V1}/resource_types", params={"name": "Heat"}).json()
    assert anchored == {"resource_types": []}
    assert client.get(f"{V1}/resource_types", params={"name": "("}).json() == {"resource_types": []}
    v5 = client.get(f"{V1}/resource_types", params={"version": "5.0.0"}).json()
    assert set(v5["resource_types"]) == {"OS::Heat::None", "OS::Heat::TestResource"}
    supported = client.get(f"{V1}/resource_types", params={"support_status": "SUPPORTED"})
    assert supported.json()["resource_types"] == everything
    deprecated = client.get(f"{V1}/resource_types", params={"support_status": "DEPRECATED"})
    assert deprecated.json() == {"resource_types": []}
    described = client.get(
        f"{V1}/resource_types", params={"name": "OS::Heat::Value", "with_description": "true"}
    ).json()["resource_types"]
    assert [d["resource_type"] for d in described] == ["OS::Heat::Value"]
    assert described[0]["description"].startswith("A value computed from an expression")


def test_resource_types_refuse_an_unknown_support_status(client: TestClient) -> None:
    answer = client.get(f"{V1}/resource_types", params={"support_status": "GOOD"})
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "Invalid"
    assert answer.json()["error"]["message"] == (
        "Data supplied was not valid: Invalid support status and should be one of "
        "('UNKNOWN', 'SUPPORTED', 'DEPRECATED', 'UNSUPPORTED', 'HIDDEN')"
    )


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("(.*)*::X", "repeats something inside a repeat"),
        ("OS::(N|Ne)*X", "repeats an alternation"),
        (r"(OS)::\1", "refers back to a group"),
        (".*:.*:.*:.*:.*X", "has more than 4 repeats"),
        ("O" * 256, "is longer than 255 characters"),
    ],
)
def test_resource_types_refuse_a_name_filter_that_could_take_too_long(
    client: TestClient, name: str, why: str
) -> None:
    """The filter is the caller's regular expression, and ``re`` has no time limit:
    ``(.*)*::X`` against a type name of 30 characters backtracks for hours."""
    answer = client.get(f"{V1}/resource_types", params={"name": name})
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "Invalid"
    message = answer.json()["error"]["message"]
    assert message.startswith(f"Data supplied was not valid: the name filter {name!r} {why};")
    assert "use a simpler regular expression" in message


def test_resource_types_take_everyday_name_filters(client: TestClient) -> None:
    for name, wanted in [
        ("OS::Nova::(Server|KeyPair)", {"OS::Nova::Server", "OS::Nova::KeyPair"}),
        ("OS::Neutron::.*Policy", {"OS::Neutron::IKEPolicy", "OS::Neutron::IPsecPolicy"}),
        ("(?:OS::Heat::)?Value|OS::Heat::Value", {"OS::Heat::Value"}),
    ]:
        answer = client.get(f"{V1}/resource_types", params={"name": name})
        assert answer.status_code == 200, answer.text
        assert set(answer.json()["resource_types"]) >= wanted
        assert all(re.match(name, found) for found in answer.json()["resource_types"])


def test_resource_type_schema(client: TestClient) -> None:
    answer = client.get(f"{V1}/resource_types/OS::Heat::TestResource")
    assert answer.status_code == 200
    schema = answer.json()
    assert schema["resource_type"] == "OS::Heat::TestResource"
    assert schema["support_status"] == {
        "status": "SUPPORTED", "message": None, "version": "5.0.0", "previous_status": None,
    }  # fmt: skip
    assert schema["properties"]["wait_secs"] == {
        "type": "number",
        "description": "Seconds to wait after an action (-1 is infinite).",
        "default": 0,
        "required": False,
        "update_allowed": True,
        "immutable": False,
    }
    waits = schema["properties"]["action_wait_secs"]
    assert set(waits["schema"]) == {"create", "update", "delete"}
    assert waits["schema"]["delete"]["type"] == "number"
    assert schema["properties"]["constraint_prop_secs"]["constraints"] == [
        {"custom_constraint": "test_constr"}
    ]
    assert set(schema["attributes"]) == {"output", "show"}
    assert schema["attributes"]["show"]["type"] == "map"
    random = client.get(f"{V1}/resource_types/OS::Heat::RandomString").json()
    assert "sequence" not in random["properties"]  # hidden in Heat
    assert random["properties"]["length"]["constraints"] == [{"range": {"min": 1, "max": 512}}]
    classes = random["properties"]["character_classes"]
    assert classes["schema"]["*"]["schema"]["class"]["constraints"][0]["allowed_values"][0] == (
        "lettersdigits"
    )
    assert random["attributes"]["value"]["type"] == "string"


def test_unknown_resource_type_is_404(client: TestClient) -> None:
    for path in ("OS::Nope::Nope", "OS::Nope::Nope/template"):
        answer = client.get(f"{V1}/resource_types/{path}")
        assert answer.status_code == 404
        assert answer.json()["error"]["type"] == "EntityNotFound"
        assert answer.json()["error"]["message"] == (
            "The Resource Type (OS::Nope::Nope) could not be found."
        )


def test_generated_templates(client: TestClient) -> None:
    hot = client.get(
        f"{V1}/resource_types/OS::Heat::TestResource/template", params={"template_type": "hot"}
    ).json()
    assert re.fullmatch(r"20[1-9][0-9]-[0-1][0-9]-[0-3][0-9]", hot["heat_template_version"])
    assert hot["description"] == "Initial template of TestResource"
    resource = hot["resources"]["TestResource"]
    assert resource["type"] == "OS::Heat::TestResource"
    assert resource["properties"]["value"] == {"get_param": "value"}
    assert hot["parameters"]["wait_secs"] == {
        "type": "number",
        "description": "Seconds to wait after an action (-1 is infinite).",
        "default": 0,
    }
    assert hot["outputs"]["output"]["value"] == {"get_attr": ["TestResource", "output"]}
    assert hot["outputs"]["OS::stack_id"] == {"value": {"get_resource": "TestResource"}}
    cfn = client.get(f"{V1}/resource_types/OS::Heat::RandomString/template").json()
    assert cfn["HeatTemplateFormatVersion"] == "2012-12-12"
    assert cfn["Parameters"]["length"] == {
        "Type": "Number",
        "Description": "Length of the string.",
        "Default": 32,
        "MinValue": 1,
        "MaxValue": 512,
    }
    assert cfn["Resources"]["RandomString"]["Properties"]["character_classes"] == {
        "Fn::Split": [",", {"Ref": "character_classes"}]
    }
    assert cfn["Outputs"]["value"]["Value"] == {"Fn::GetAtt": ["RandomString", "value"]}
    bad = client.get(
        f"{V1}/resource_types/OS::Heat::None/template", params={"template_type": "xml"}
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == (
        'Template type is not supported: Invalid template type "xml", valid types are: cfn, hot.'
    )


def test_template_versions_and_functions(client: TestClient) -> None:
    versions = client.get(f"{V1}/template_versions").json()["template_versions"]
    by_name = {v["version"]: v for v in versions}
    assert by_name["heat_template_version.2016-04-08"] == {
        "version": "heat_template_version.2016-04-08",
        "type": "hot",
        "aliases": [],
    }
    assert by_name["heat_template_version.2016-10-14"]["aliases"] == [
        "heat_template_version.newton"
    ]
    assert versions[0]["version"] == "heat_template_version.2013-05-23"
    functions = client.get(
        f"{V1}/template_versions/heat_template_version.2016-04-08/functions"
    ).json()["template_functions"]
    described = {f["functions"]: f["description"] for f in functions}
    assert described["get_file"] == "A function for including a file inline."
    assert described["list_join"] == "A function for joining one or more lists of strings."
    assert "if" not in described and "equals" not in described
    newton = client.get(
        f"{V1}/template_versions/heat_template_version.newton/functions",
        params={"with_condition_func": "true"},
    ).json()["template_functions"]
    names = {f["functions"] for f in newton}
    assert {"if", "equals", "not", "and", "or", "map_replace"} <= names
    assert all(f["description"] for f in newton)
    unknown = client.get(f"{V1}/template_versions/heat_template_version.1999-01-01/functions")
    assert unknown.status_code == 404
    assert unknown.json()["error"] == {
        "type": "NotFound",
        "message": "Template with version heat_template_version.1999-01-01 not found",
        "traceback": None,
    }


def test_build_info(client: TestClient) -> None:
    assert client.get(f"{V1}/build_info").json() == {
        "api": {"revision": __version__},
        "engine": {"revision": __version__},
    }


def test_catalog_routes_need_a_token_and_the_callers_project(client: TestClient) -> None:
    assert client.get(f"{V1}/build_info", headers={"X-Auth-Token": "bad"}).status_code == 401
    assert client.get("/v1/beta/resource_types").status_code == 403
