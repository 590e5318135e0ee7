"""``crossheat emulator serve|start|stop|status``: an emulated multi-region OpenStack cloud.

::

    crossheat emulator serve [--host 127.0.0.1] [--port N|0] [--regions East,West]
                             [--state FILE|:memory:] [--latency SPEC] [--faults SPEC]
                             [--orchestration-url URL] [--cloud NAME] [--cloud-index N]
                             [--project NAME:USER:PASSWORD[:admin]]... [--baremetal N]
    crossheat emulator start ...same options...   (background; returns once it answers)
    crossheat emulator stop [--port N]
    crossheat emulator status
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import typer

from crossheat.errors import CrossheatError

if TYPE_CHECKING:  # the commands import what they use: `crossheat --help` starts fast
    from crossheat.emulator.core import EmulatorConfig

app = typer.Typer(
    help="An emulated multi-region OpenStack cloud (Keystone, Neutron, Nova, Glance) over HTTP.",
    no_args_is_help=True,
)

HOST = typer.Option("127.0.0.1", help="Address to listen on.")
PORT = typer.Option(0, help="Port to listen on; 0 picks a free one.")
REGIONS = typer.Option("East,West", help="Comma-separated region names.")
STATE = typer.Option(
    "", help="SQLite state file; ':memory:' for a throwaway run. Default: one per cloud."
)
LATENCY = typer.Option(
    "",
    help="Seconds per kind, e.g. 'server=3,network=0.2,default=0.5'; deletes take the same"
    " unless set apart ('server_delete=1'); 'vpn_peer_timeout=5': how long an IPsec"
    " connection waits for its peer before it reads DOWN.",
)
FAULTS = typer.Option(
    "",
    help="e.g. 'error_rate=0.1,lost_answer_rate=0.1,region_down=West,quota.servers=2';"
    " lost_answer_path=/add_router_interface loses only those answers.",
)
ORCHESTRATION = typer.Option(
    None, help="Orchestration endpoint for the catalog; %(tenant_id)s becomes the project id."
)
CLOUD = typer.Option(None, help="Its clouds.yaml entry name (default: emulator, emulator1...).")
CLOUD_INDEX = typer.Option(-1, help="Index among several clouds (public ranges differ); -1: auto.")
PROJECT = typer.Option(
    [],
    "--project",
    help="NAME:USER:PASSWORD[:admin]: a project with a user in it (role member, and admin"
    " with ':admin'); clouds.yaml gets an entry CLOUD-NAME-USER. Repeatable.",
)

BAREMETAL = typer.Option(
    0,
    min=0,
    help="Bare-metal (Ironic) nodes per region, with the flavor baremetal.general that takes"
    " one whole node (zone 'baremetal'); a boot takes 10x a server's latency unless"
    " --latency sets 'baremetal'.",
)


def _config(
    host: str,
    port: int,
    regions: str,
    state: str,
    latency: str,
    faults: str,
    orchestration_url: str | None,
    cloud_index: int,
    projects: list[str],
    baremetal: int = 0,
) -> EmulatorConfig:
    from crossheat.emulator.core import EmulatorConfig, Faults, Latency, ProjectSeed

    names = [r.strip() for r in regions.split(",") if r.strip()]
    if not names:
        raise typer.BadParameter("at least one region is needed", param_hint="--regions")
    try:
        seeds = [ProjectSeed.from_spec(spec) for spec in projects]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--project") from exc
    try:
        return EmulatorConfig(
            host=host,
            port=port,
            regions=names,
            state=state,
            latency=Latency.from_spec(latency),
            faults=Faults.from_spec(faults),
            orchestration_url=orchestration_url,
            cloud_index=cloud_index,
            projects=seeds,
            baremetal=baremetal,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _describe(entry: dict[str, Any]) -> str:
    regions = ", ".join(entry["regions"])
    return f"{entry['url']}  cloud {entry['cloud']!r}  regions {regions}  pid {entry['pid']}"


@app.command()
def serve(
    host: str = HOST,
    port: int = PORT,
    regions: str = REGIONS,
    state: str = STATE,
    latency: str = LATENCY,
    faults: str = FAULTS,
    orchestration_url: str | None = ORCHESTRATION,
    cloud: str | None = CLOUD,
    cloud_index: int = CLOUD_INDEX,
    project: list[str] = PROJECT,
    baremetal: int = BAREMETAL,
) -> None:
    """Run the emulator in the foreground (Ctrl-C stops it)."""
    config = _config(
        host, port, regions, state, latency, faults, orchestration_url, cloud_index, project,
        baremetal,
    )  # fmt: skip

    def ready(entry: dict[str, Any]) -> None:
        typer.echo(f"crossheat emulator listening on {_describe(entry)}", err=False)

    try:
        from crossheat.emulator import server  # fastapi/uvicorn: only here
        from crossheat.emulator.config_files import Settings

        server.serve(config, Settings.from_environment(cloud), ready)
    except CrossheatError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def start(
    host: str = HOST,
    port: int = PORT,
    regions: str = REGIONS,
    state: str = STATE,
    latency: str = LATENCY,
    faults: str = FAULTS,
    orchestration_url: str | None = ORCHESTRATION,
    cloud: str | None = CLOUD,
    cloud_index: int = CLOUD_INDEX,
    project: list[str] = PROJECT,
    baremetal: int = BAREMETAL,
) -> None:
    """Run the emulator in the background; print where it is once it answers."""
    _config(
        host, port, regions, state, latency, faults, orchestration_url, cloud_index, project,
        baremetal,
    )  # fmt: skip
    argv = [sys.executable, "-m", "crossheat.cli.emulator", "serve"]
    argv += ["--host", host, "--port", str(port), "--regions", regions, "--state", state]
    argv += ["--latency", latency, "--faults", faults, "--cloud-index", str(cloud_index)]
    argv += ["--baremetal", str(baremetal)]
    if orchestration_url:
        argv += ["--orchestration-url", orchestration_url]
    if cloud:
        argv += ["--cloud", cloud]
    for spec in project:
        argv += ["--project", spec]
    try:
        from crossheat.emulator import server  # fastapi/uvicorn: only here
        from crossheat.emulator.config_files import Settings

        entry = server.start(argv, Settings.from_environment(cloud))
    except CrossheatError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"crossheat emulator started: {_describe(entry)}")


@app.command()
def stop(
    port: int | None = typer.Option(None, help="Stop only the emulator on this port."),
) -> None:
    """Stop running emulators."""
    from crossheat.emulator import server  # fastapi/uvicorn: only here
    from crossheat.emulator.config_files import Settings

    stopped = server.stop(Settings.from_environment(), port)
    if not stopped:
        typer.echo("no emulator running" + (f" on port {port}" if port else ""))
        raise typer.Exit(1)
    for entry in stopped:
        typer.echo(f"stopped {_describe(entry)}")


@app.command()
def status(
    as_json: bool = typer.Option(False, "--json", help="Print the entries as JSON."),
) -> None:
    """List running emulators (exit status 1 when there is none)."""
    from crossheat.emulator import server  # fastapi/uvicorn: only here
    from crossheat.emulator.config_files import Settings

    entries = server.status(Settings.from_environment())
    if as_json:
        typer.echo(json.dumps(entries, indent=2))
    else:
        for entry in entries:
            typer.echo(_describe(entry))
        if not entries:
            typer.echo("no emulator running")
    if not entries:
        raise typer.Exit(1)


if __name__ == "__main__":
    # ``start`` runs ``python -m crossheat.cli.emulator serve ...`` in the background.
    app()
