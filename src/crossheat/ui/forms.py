"""What the launch and update pages share: reading the template and environment files a
form sends (uploaded or pasted), the values typed into the generated parameter fields,
and the template's problems placed beside its lines.

Field names: ``param.<name>`` for a parameter (its input's id is ``param-<name>``, its
errors' ``error-<name>``). An empty field gives no value (the default, the environment's
or, in an update, the stack's value stays); a hidden field left empty keeps what was
typed into it before (kept in the draft, never sent back to the page).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from starlette.datastructures import FormData, UploadFile

from crossheat.service import ParameterForm, Problem

PREFIX = "param."


@dataclass
class Sources:
    """The template and environments a form sent, and what was wrong with them."""

    template: str | None = None
    template_name: str = "template.yaml"
    environments: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def read_sources(form: FormData) -> Sources:
    """The template (``template_file`` uploaded or ``template_text`` pasted: one of them)
    and the environments (``environment_files``, then ``environment_text``)."""
    found = Sources()
    upload = form.get("template_file")
    pasted = str(form.get("template_text") or "")
    uploaded, name = None, "template.yaml"
    if isinstance(upload, UploadFile):
        uploaded, name = await _text(upload, found), _file_name(upload, name)
    if uploaded and pasted.strip():
        found.errors.append("Give the template one way: upload a file or paste it, not both.")
    elif uploaded:
        found.template, found.template_name = uploaded, name
    elif pasted.strip():
        found.template = pasted
    names: set[str] = set()
    for index, item in enumerate(form.getlist("environment_files")):
        if isinstance(item, UploadFile):
            text = await _text(item, found)
            if text:
                name = _unique(_file_name(item, f"environment-{index}.yaml"), names)
                found.environments.append((name, text))
    text = str(form.get("environment_text") or "")
    if text.strip():
        found.environments.append((_unique("environment.yaml", names), text))
    return found


async def _text(upload: UploadFile, found: Sources) -> str | None:
    data = await upload.read()
    if not data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        found.errors.append(f"{_file_name(upload, 'the file')} is not UTF-8 text.")
        return None


def _file_name(upload: UploadFile, fallback: str) -> str:
    """The file's own name, without any folder (names only label the file)."""
    name = PurePosixPath((upload.filename or "").replace("\\", "/")).name
    return name or fallback


def _unique(name: str, taken: set[str]) -> str:
    candidate, count = name, 1
    while candidate in taken:
        count += 1
        candidate = f"{count}-{name}"
    taken.add(candidate)
    return candidate


def typed_values(
    form: FormData, spec: ParameterForm, kept: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The values typed into ``spec``'s fields; a hidden one left empty keeps its value
    in ``kept`` (what was typed before)."""
    values: dict[str, str] = {}
    for item in spec.fields:
        raw = form.get(PREFIX + item.name)
        text = raw if isinstance(raw, str) else ""
        if text.strip() == "" and item.type != "string":
            text = ""
        if text != "":
            values[item.name] = text
        elif item.hidden and kept and item.name in kept:
            values[item.name] = kept[item.name]
    return values


def shown_values(spec: ParameterForm, values: Mapping[str, str]) -> dict[str, str]:
    """The values to prefill: what was typed, else the field's own; never a hidden one."""
    out: dict[str, str] = {}
    for item in spec.fields:
        if item.hidden:
            continue
        if item.name in values:
            out[item.name] = values[item.name]
        elif item.value is not None:
            out[item.name] = item.value
    return out


@dataclass
class SourceView:
    """A file's lines, each with the problems found on it, and the problems elsewhere."""

    name: str
    lines: list[tuple[int, str, list[Problem]]]
    elsewhere: list[Problem]

    def excerpt(self, around: int = 3) -> list[tuple[int, str, list[Problem]] | None]:
        """The lines within ``around`` of a line with problems (None: lines left out)."""
        near = {
            n + d for n, _, problems in self.lines if problems for d in range(-around, around + 1)
        }
        out: list[tuple[int, str, list[Problem]] | None] = []
        for entry in self.lines:
            if entry[0] in near:
                out.append(entry)
            elif not out or out[-1] is not None:
                out.append(None)
        return out

    @property
    def flagged(self) -> int:
        """How many lines have problems."""
        return sum(1 for _, _, problems in self.lines if problems)

    @property
    def has_problems(self) -> bool:
        return bool(self.flagged or self.elsewhere)

    @property
    def has_errors(self) -> bool:
        found = [p for _, _, problems in self.lines for p in problems] + self.elsewhere
        return any(p.severity == "error" for p in found)


def source_view(name: str, text: str | None, problems: list[Problem]) -> SourceView:
    """``text`` (the template ``name``) with ``problems`` beside their lines; the
    problems of other files, or without a line, in ``elsewhere``."""
    lines = (text or "").splitlines()
    at: dict[int, list[Problem]] = {}
    elsewhere = []
    for problem in problems:
        if problem.file == name and problem.line is not None and 1 <= problem.line <= len(lines):
            at.setdefault(problem.line, []).append(problem)
        elif problem.file == name and problem.line is not None and lines:
            at.setdefault(len(lines), []).append(problem)  # past the end: the last line
        else:
            elsewhere.append(problem)
    numbered = [(n, line, at.get(n, [])) for n, line in enumerate(lines, start=1)]
    return SourceView(name, numbered, elsewhere)


def field_context(
    spec: ParameterForm, values: Mapping[str, str], kept: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """What the fields' template needs: the form, values to show, errors, which hidden
    fields hold a value already."""
    return {
        "spec": spec,
        "values": shown_values(spec, values),
        "errors": spec.errors,
        "kept": {f.name for f in spec.fields if f.hidden and kept and f.name in kept},
    }
