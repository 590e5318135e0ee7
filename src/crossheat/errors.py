"""crossheat's one error hierarchy.

Every error crossheat raises is a ``CrossheatError``; openstacksdk's
exceptions are translated into ``CloudError`` subclasses at one boundary
(``crossheat.clouds.driver``), with ``raise ... from exc``.

    CrossheatError
    ├── TemplateError           the template, environment or parameters are invalid
    │                           (carries every ``Diagnostic`` at once)
    ├── ConfigError             region map, clouds.yaml, settings
    ├── NotSupportedError       something crossheat deliberately does not do (yaql, CFN)
    │   └── ActionNotSupported  a resource's type cannot do what was asked (a signal)
    ├── NotFound                what a request names does not exist (a software config)
    │   └── ResourceNotFound    a stack has no resource of that name
    ├── InvalidRequest          what a request gives is invalid (a deployment's config id)
    ├── CycleError              a dependency graph has a cycle (raised by ``crossheat.graph``)
    ├── StackError              stack-level problems
    │   ├── StackNotFound
    │   ├── StackExists
    │   ├── StackLocked         another operation holds the stack
    │   │   └── LockLost        this engine's lock was taken over: it stops
    │   ├── OperationCancelled  a cancel ended a resource's wait for the cloud
    │   └── NestedStackTimedOut a nested stack's ``timeout`` passed
    ├── StoreError              the state database
    └── CloudError              a cloud answered with an error, or could not be reached
        ├── CloudNotFound       404: the thing is gone
        ├── CloudConflict       409: in use, duplicate, invalid state
        ├── CloudQuotaExceeded  over quota (Neutron 409 OverQuota, Nova 403/413)
        ├── CloudBadRequest     400
        ├── CloudForbidden      403 (not quota)
        ├── CloudAuthError      401 / bad credentials
        ├── CloudTransientError 5xx, connection errors, 429/413 with Retry-After
        └── ResourceFailed      a resource reached an error state (server ERROR, ...)
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: A template path: ``("resources", "east_subnet", "properties", "cidr")``.
TemplatePath = tuple[str | int, ...]


def format_path(path: TemplatePath) -> str:
    """``("resources", "a", "properties", "nets", 0)`` -> ``resources.a.properties.nets[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Location:
    """Where in which file: 1-based line and column, as editors show them."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem, with where it is and what to do about it.

    ``message`` says what is wrong; ``hint`` says what to do.
    """

    message: str
    path: TemplatePath = ()
    location: Location | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR
    code: str = "invalid"

    def __str__(self) -> str:
        where = str(self.location) if self.location else "<template>"
        text = f"{where}: {self.severity.value}"
        if self.path:
            text += f": {format_path(self.path)}"
        text += f": {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "file": self.location.file if self.location else None,
            "line": self.location.line if self.location else None,
            "column": self.location.column if self.location else None,
            "path": format_path(self.path),
            "message": self.message,
            "hint": self.hint,
        }


class CrossheatError(Exception):
    """Base of every error crossheat raises on purpose."""

    exit_code = 1


class ConfigError(CrossheatError):
    """The region map, clouds.yaml or a setting is wrong."""


class LoginRefused(CrossheatError):
    """Keystone refused a user's name and password, or the project they chose."""


class KeystoneUnreachable(CrossheatError):
    """Keystone did not answer a login, or answered with an error that is no refusal."""


class NotSupportedError(CrossheatError):
    """A feature crossheat deliberately does not support."""


class ActionNotSupported(NotSupportedError):
    """A resource's type cannot do what was asked (a signal to a type that takes none)."""


class NotFound(CrossheatError):
    """What a request names does not exist (a software config, a deployment)."""


class ResourceNotFound(NotFound):
    """A stack has no resource of that name (or physical id)."""


class InvalidRequest(CrossheatError):
    """What a request gives is invalid (a software config's inputs, a deployment's config)."""


class CycleError(CrossheatError):
    """The graph has a cycle; ``cycle`` lists it (a requires b requires ... requires a)."""

    def __init__(self, cycle: Iterable[Hashable]) -> None:
        self.cycle: tuple[Hashable, ...] = tuple(cycle)
        names = " -> ".join(str(n) for n in (*self.cycle, *self.cycle[:1]))
        super().__init__(f"dependency cycle: {names}")


class TemplateError(CrossheatError):
    """The template, an environment file or the parameters are invalid.

    Carries every problem found, not just the first.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic] | Diagnostic) -> None:
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    @classmethod
    def single(
        cls,
        message: str,
        path: TemplatePath = (),
        location: Location | None = None,
        hint: str | None = None,
        code: str = "invalid",
    ) -> TemplateError:
        return cls([Diagnostic(message, path, location, hint, code=code)])

    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]


def raise_if_errors(diagnostics: Iterable[Diagnostic]) -> None:
    items = list(diagnostics)
    if any(d.severity is Severity.ERROR for d in items):
        raise TemplateError(items)


class StackError(CrossheatError):
    """A stack-level problem."""


class ImportMismatch(StackError):
    """``stack import``: what exists differs from the template (nothing was changed)."""


class StackNotFound(StackError):
    pass


class StackExists(StackError):
    pass


class StackLocked(StackError):
    """Another operation holds the stack."""


class LockLost(StackLocked):
    """This engine's lock on the stack was taken over: it must stop and write nothing more."""


class OperationCancelled(StackError):
    """``stack cancel`` ended a resource's wait for the cloud (a server booting): the
    resource fails, and the operation rolls back as after any failure."""


class NestedStackTimedOut(StackError):
    """A nested stack's own ``timeout`` passed (``OS::Heat::Stack``'s): a resource of it
    waiting for the cloud fails at once, as on a cancel; one not started never starts.
    ``stack``: the parent's resource for the nested stack, when the error stands for the
    whole nested stack (then the message is the nested stack's reason, "Timed out ...")."""

    def __init__(self, message: str, *, stack: str | None = None) -> None:
        super().__init__(message)
        self.stack = stack


class StoreError(CrossheatError):
    """The state database failed or holds something unexpected."""


class CloudError(CrossheatError):
    """A cloud answered with an error or could not be reached."""

    def __init__(
        self,
        message: str,
        *,
        region: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.region = region
        self.status_code = status_code
        self.request_id = request_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        where = f"[{self.region}] " if self.region else ""
        code = f" (HTTP {self.status_code})" if self.status_code else ""
        return f"{where}{self.message}{code}"


class CloudNotFound(CloudError):
    pass


class CloudConflict(CloudError):
    pass


class CloudQuotaExceeded(CloudError):
    pass


class CloudBadRequest(CloudError):
    pass


class CloudForbidden(CloudError):
    pass


class CloudAuthError(CloudError):
    pass


class CloudTransientError(CloudError):
    """Worth asking again. ``maybe_done``: the cloud may have carried the call out
    before failing (a 500, 502 or 504, a timeout), so a create must not simply be
    sent again; a 503, a 429 or a refused connection mean it was not."""

    def __init__(self, message: str, *, maybe_done: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.maybe_done = maybe_done


class ResourceFailed(CloudError):
    """A cloud resource reached an error state (a server in ERROR, ...)."""
