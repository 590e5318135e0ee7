"""``/dashboard/regions``: the region map, each region's cloud, endpoints, images and
flavors, and its health (reachable, recent call latency and error rate, the project's
stacks and resources in it). Showing the page probes every region once."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from crossheat.service import region_overview
from crossheat.ui.render import render
from crossheat.ui.session import User

router = APIRouter()


@router.get("/dashboard/regions", response_class=HTMLResponse)
def regions(request: Request, user: User) -> HTMLResponse:
    request.state.ui_user = user
    return render(request, "regions.html", {"regions": region_overview(user.service)})
