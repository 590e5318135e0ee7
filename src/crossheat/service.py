"""crossheat's one typed facade: what the CLI, the API and the dashboard call.

service = Service()
analysis = service.validate(Inputs("stack.yaml", parameters={"vpn_psk": "..."}))
plan = service.plan(Inputs("stack.yaml", ...))
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from crossheat.clouds.regionmap import RegionMap, load_region_map, region_map_path
from crossheat.engine.spec import load_spec, make_spec
from crossheat.engine.stack import EngineOptions
from crossheat.errors import ConfigError, TemplateError
from crossheat.plan.analysis import Analysis
from crossheat.plan.pipeline import analyse
from crossheat.plan.plan import Plan, make_plan
from crossheat.resources.registry import Registry, default_registry
from crossheat.stacks import Stacks
from crossheat.store import StackRecord, StackSpec, Store
from crossheat.template import Template


@dataclass(frozen=True)
class Inputs:
    """What a user gives: ``-t TEMPLATE -e ENV... --parameter K=V... --region-map FILE``."""

    template: str | Path
    environment_files: Sequence[str | Path] = ()
    parameters: Mapping[str, str] = field(default_factory=dict)
    region_map: str | Path | None = None


class Service:
    """Validate, plan (and, with the engine, create, update, delete) stacks."""

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        database_url: str | None = None,
        options: EngineOptions | None = None,
    ) -> None:
        self._registry = registry
        self._database_url = database_url
        self.options = options or EngineOptions()
        self._store: Store | None = None

    @cached_property
    def registry(self) -> Registry:
        return self._registry or default_registry()

    def region_map(self, path: str | Path | None = None) -> RegionMap | None:
        """The region map named by ``path``, the environment or the default file.

        ``None`` when no path is given and no file exists: templates are then
        checked without region checks.
        """
        implicit = path is None and not os.environ.get("CROSSHEAT_REGION_MAP")
        if implicit and not region_map_path().exists():
            return None
        return load_region_map(path)

    def validate(self, inputs: Inputs) -> Analysis:
        """Every problem with the template, environment, parameters and regions."""
        return analyse(
            inputs.template,
            inputs.environment_files,
            inputs.parameters,
            region_map=self.region_map(inputs.region_map),
            registry=self.registry,
        )

    def store(self) -> Store:
        """The state database, opened (and migrated) on first use."""
        if self._store is None:
            self._store = Store.open(self._database_url)
        return self._store

    def stacks(self) -> Stacks:
        return Stacks(self.store(), self.registry, self.options)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def create_stack(
        self,
        name: str,
        inputs: Inputs,
        *,
        disable_rollback: bool = False,
        timeout_mins: int | None = None,
    ) -> StackRecord:
        """Validate, then record the stack CREATE_IN_PROGRESS; run it with ``stacks().run``."""
        region_map = self.region_map(inputs.region_map)
        if region_map is None:
            raise ConfigError(
                "no region map: pass --region-map FILE, set CROSSHEAT_REGION_MAP, or start "
                "the emulator (`crossheat emulator start`), which writes one"
            )
        analysis = analyse(
            inputs.template, inputs.environment_files, inputs.parameters,
            region_map=region_map, registry=self.registry,
        )  # fmt: skip
        return self.stacks().create(
            name, analysis, [str(p) for p in inputs.environment_files], dict(inputs.parameters),
            region_map, disable_rollback=disable_rollback, timeout_mins=timeout_mins,
        )  # fmt: skip

    def prepare_update(
        self,
        name: str,
        inputs: Inputs | None,
        *,
        existing: bool = False,
        parameters: dict[str, str] | None = None,
        disable_rollback: bool | None = None,
    ) -> tuple[StackRecord, Template, StackSpec]:
        """The stack, the template it would become and the spec to store; nothing changes yet.

        With ``existing``, the stored template, environment and parameters are kept
        and only what is given changes (``inputs`` may then be None).
        """
        stacks = self.stacks()
        stack = stacks.get(name)
        given = dict(parameters or (inputs.parameters if inputs else {}))
        params = {**stack.spec.parameters, **given} if existing else given
        rollback_off = stack.spec.disable_rollback if disable_rollback is None else disable_rollback
        if inputs is None:
            if not existing:
                raise ConfigError("give a template (-t) or --existing to keep the stored one")
            spec = replace(stack.spec, parameters=params, disable_rollback=rollback_off)
            return stack, load_spec(spec), spec
        region_map = stacks.region_map_of(stack)
        analysis = analyse(
            inputs.template,
            inputs.environment_files,
            params,
            region_map=region_map,
            registry=self.registry,
        )
        if not analysis.ok or analysis.template is None:
            raise TemplateError(analysis.diagnostics)
        spec = make_spec(
            analysis.template, inputs.environment_files, params, region_map=region_map,
            disable_rollback=rollback_off, timeout_mins=stack.spec.timeout_mins,
        )  # fmt: skip
        return stack, analysis.template, spec

    def plan(self, inputs: Inputs) -> tuple[Analysis, Plan]:
        """The analysis and the plan; raises ``TemplateError`` when the template is invalid."""
        analysis = self.validate(inputs)
        if not analysis.ok:
            raise TemplateError(analysis.diagnostics)
        return analysis, make_plan(analysis)
