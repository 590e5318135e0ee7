"""String functions: list_join, str_replace (and _strict, _vstrict), digest,
str_split, make_url.

    list_join: [", ", [a, b], [c]]      several lists from 2015-10-15
    str_replace: {template: "http://$host/", params: {$host: example.org}}
    digest: [sha256, value]
    str_split: [",", "a,b,c", 1]        -> "b"
    make_url: {scheme: https, host: h, port: 8080, path: /x, query: {a: b}}
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib import parse as urlparse

from crossheat.errors import Diagnostic
from crossheat.template.functions.base import Function, is_list, type_name


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


class Join(Function):
    """``list_join: [delimiter, [strings]]`` (one list, strings only)."""

    def check(self) -> list[Diagnostic]:
        if not is_list(self.args) or len(self.args) != 2:
            hint = None
            if is_list(self.args) and len(self.args) > 2:
                hint = "several lists need heat_template_version 2015-10-15"
            return [self.diagnostic("list_join takes [delimiter, [strings]]", hint)]
        return []

    def compute(self, args: Any) -> Any:
        delimiter, strings = args[0], args[1] or []
        if not isinstance(delimiter, str):
            raise self.error("list_join delimiter must be a string")
        if not is_list(strings):
            raise self.error(f"list_join joins a list, not a {type_name(strings)}")
        return delimiter.join(self._item(s) for s in strings)

    def _item(self, item: Any) -> str:
        if item is None:
            return ""
        if not isinstance(item, str):
            raise self.error(f"list_join items must be strings, not {type_name(item)}")
        return item


class JoinMultiple(Join):
    """``list_join: [delimiter, [strings], [more]...]``; maps and lists become JSON."""

    def check(self) -> list[Diagnostic]:
        if not is_list(self.args) or len(self.args) < 2:
            return [self.diagnostic("list_join takes [delimiter, [strings], ...]")]
        return []

    def compute(self, args: Any) -> Any:
        items: list[Any] = []
        for strings in args[1:]:
            if strings and not is_list(strings):
                raise self.error(f"list_join joins lists, not a {type_name(strings)}")
            items += strings or []
        return super().compute([args[0], items])

    def _item(self, item: Any) -> str:
        if isinstance(item, dict | list):
            return _json(item)
        return super()._item(item)


class Replace(Function):
    """``str_replace: {template: str, params: {placeholder: value}}``.

    Longer placeholders win; params must be strings or numbers.
    """

    strict = False
    allow_empty = True

    def check(self) -> list[Diagnostic]:
        if not isinstance(self.args, dict) or set(self.args) != {"template", "params"}:
            example = "{template: 'Hello $name', params: {$name: world}}"
            return [self.diagnostic(f"{self.name} takes {example}")]
        return []

    def compute(self, args: Any) -> Any:
        template, params = args["template"], args["params"]
        if not isinstance(template, str):
            raise self.error(f"{self.name} template must be a string")
        if not isinstance(params, dict):
            raise self.error(f"{self.name} params must be a map")
        keys = sorted(sorted(map(str, params)), key=len, reverse=True)
        values = {str(k): self._value(v, str(k)) for k, v in params.items()}
        unused = {k for k in keys if k not in template}
        if self.strict and unused:
            missing = ",".join(sorted(unused))
            raise self.error(f"{self.name}: params not found in the template: {missing}")
        return _substitute([template], keys, values)[0]

    def _value(self, value: Any, key: str) -> str:
        if value is None:
            return ""
        if isinstance(value, bool | int | float | str):
            return str(value)
        raise self.error(f"{self.name} param {key!r} must be a string or number")


def _substitute(strings: list[str], keys: list[str], values: dict[str, str]) -> list[str]:
    if not keys:
        return strings
    key, rest = keys[0], keys[1:]
    return [values[key].join(_substitute(s.split(key), rest, values)) for s in strings]


class ReplaceJson(Replace):
    """``str_replace`` from 2015-10-15: map and list params become JSON."""

    def _value(self, value: Any, key: str) -> str:
        empty = value is None or (isinstance(value, str | dict | list) and len(value) == 0)
        if empty and not self.allow_empty:
            raise self.error(f"{self.name} param {key!r} is empty; it must have a value")
        if isinstance(value, dict | list):
            return _json(value)
        return super()._value(value, key)


class ReplaceJsonStrict(ReplaceJson):
    """``str_replace_strict``: every param must occur in the template."""

    strict = True


class ReplaceJsonVeryStrict(ReplaceJsonStrict):
    """``str_replace_vstrict``: strict, and no param may be empty."""

    allow_empty = False


class Digest(Function):
    """``digest: [algorithm, value]``: hex digest with any hashlib algorithm."""

    def check(self) -> list[Diagnostic]:
        if not is_list(self.args) or len(self.args) != 2:
            return [self.diagnostic("digest takes [algorithm, value]")]
        return []

    def compute(self, args: Any) -> Any:
        algorithm, value = args
        if not isinstance(algorithm, str) or not isinstance(value, str):
            raise self.error("digest takes two strings: [algorithm, value]")
        if algorithm.lower() not in hashlib.algorithms_available:
            known = ", ".join(sorted(hashlib.algorithms_guaranteed))
            raise self.error(f"unknown digest algorithm {algorithm!r}", f"one of {known}")
        digest = hashlib.new(algorithm.lower())
        digest.update(value.encode("latin-1"))
        return digest.hexdigest()


class StrSplit(Function):
    """``str_split: [delimiter, string]`` or ``[delimiter, string, index]``."""

    def check(self) -> list[Diagnostic]:
        if not is_list(self.args) or len(self.args) not in (2, 3):
            return [self.diagnostic("str_split takes [delimiter, string] or [.., index]")]
        return []

    def compute(self, args: Any) -> Any:
        delimiter, text = args[0], args[1]
        if text is None:
            return None
        if not isinstance(delimiter, str) or not isinstance(text, str):
            raise self.error("str_split takes a delimiter and a string")
        parts = text.split(delimiter)
        if len(args) == 2:
            return parts
        try:
            return parts[int(args[2])]
        except (ValueError, TypeError):
            raise self.error(f"str_split index must be an integer, not {args[2]!r}") from None
        except IndexError:
            raise self.error(f"str_split index must be between 0 and {len(parts) - 1}") from None


_URL_KEYS = ("scheme", "username", "password", "host", "port", "path", "query", "fragment")


class MakeURL(Function):
    """``make_url: {scheme, username, password, host, port, path, query, fragment}``."""

    def check(self) -> list[Diagnostic]:
        if not isinstance(self.args, dict):
            return [self.diagnostic("make_url takes a map of " + ", ".join(_URL_KEYS))]
        unknown = sorted(set(self.args) - set(_URL_KEYS))
        if unknown:
            allowed = ", ".join(_URL_KEYS)
            return [self.diagnostic(f"make_url: unknown key(s) {', '.join(unknown)}", allowed)]
        return []

    def compute(self, args: Any) -> Any:
        self._check_values(args)
        scheme = args.get("scheme", "")
        if ":" in scheme:
            raise self.error("make_url scheme must not contain ':'")
        path = urlparse.quote(args.get("path", ""))
        query = urlparse.urlencode(args.get("query", {})).replace("%2F", "/")
        fragment = urlparse.quote(args.get("fragment", ""))
        return urlparse.urlunsplit((scheme, self._netloc(args), path, query, fragment))

    def _check_values(self, args: dict[str, Any]) -> None:
        for key, value in args.items():
            if key == "query" and not isinstance(value, dict):
                raise self.error("make_url query must be a map")
            if key == "port":
                self._check_port(value)
            elif key != "query" and not isinstance(value, str):
                raise self.error(f"make_url {key} must be a string")

    def _check_port(self, port: Any) -> None:
        try:
            number = int(port)
        except (TypeError, ValueError):
            raise self.error(f"invalid URL port {port!r}") from None
        if not 0 < number <= 65535:
            raise self.error(f"invalid URL port {number}, must be in range 1-65535")

    def _netloc(self, args: dict[str, Any]) -> str:
        user = urlparse.quote(args.get("username", ""), safe="")
        password = urlparse.quote(args.get("password", ""), safe="")
        auth = ""
        if user or password:
            auth = user + (":" + password if password else "") + "@"
        host = args.get("host", "")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        host = urlparse.quote(host, safe=":")
        if ":" in host:
            host = f"[{host}]"
        port = args.get("port", "")
        return auth + host + (f":{port}" if port else "")
