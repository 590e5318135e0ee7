"""What a face gives the service: the template, files and environments as content.

The CLI reads files at the face (``Inputs.from_files``: each read when the template
first names it, named by its path); the API gives content (Heat's ``template``,
``files``, ``environment``). Either way the service parses them once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crossheat.errors import TemplateError

if TYPE_CHECKING:  # a face builds Inputs without loading the engine (``RemoteService``)
    from crossheat.plan.analysis import Analysis
    from crossheat.template import Reader, Template


class DiskFiles(Mapping[str, str]):
    """Files read from the disk, each when the template first names it, by its path (what
    the CLI gives ``Inputs.files``: the face reads, the service sees content only)."""

    def read(self, path: Path) -> str:
        return path.read_text()

    def __getitem__(self, name: str) -> str:
        try:
            return Path(name).read_text()
        except OSError as exc:
            raise KeyError(name) from exc

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


@dataclass(frozen=True)
class Source:
    """An environment: its name (a path, for messages and the files it names) and its
    content, text or mapping; without content, it is read from ``Inputs.files``."""

    name: str
    content: str | Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Inputs:
    """What a user gives, as content, as Heat's API takes it: the template (text or
    mapping; ``None``: read from ``files`` by ``template_name``), the ``files`` it names
    (``get_file``, nested templates: name -> content, names relative to the template's
    folder), environments merged in order, parameters, and the region map (a path)."""

    template: str | Mapping[str, Any] | None = None
    template_name: str = "template.yaml"
    files: Mapping[str, str] = field(default_factory=dict)
    environments: Sequence[Source | str | Mapping[str, Any]] = ()
    parameters: Mapping[str, str] = field(default_factory=dict)
    region_map: str | Path | None = None

    @classmethod
    def from_files(
        cls,
        template: str | Path,
        environment_files: Sequence[str | Path] = (),
        parameters: Mapping[str, str] | None = None,
        region_map: str | Path | None = None,
    ) -> Inputs:
        """``-t TEMPLATE -e ENV...``: every file read from the disk, named by its path."""
        return cls(
            None,
            str(template),
            DiskFiles(),
            [Source(str(p)) for p in environment_files],
            dict(parameters or {}),
            region_map,
        )


@dataclass
class Parsed:
    """One parse of some ``Inputs``: its analysis and what to store of it."""

    analysis: Analysis
    content: str | Mapping[str, Any]
    files: dict[str, str]
    environments: list[str]

    def template(self) -> Template:
        if not self.analysis.ok or self.analysis.template is None:
            raise TemplateError(self.analysis.diagnostics)
        return self.analysis.template


def reader(files: Mapping[str, str]) -> Reader:
    from crossheat.engine.spec import content_reader

    return files.read if isinstance(files, DiskFiles) else content_reader(files)


def text_of(content: str | Mapping[str, Any]) -> str:
    return content if isinstance(content, str) else json.dumps(content)
