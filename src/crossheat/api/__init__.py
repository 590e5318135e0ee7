"""Heat's orchestration API v1, served by ``crossheat serve``: a view over ``crossheat.service``.

``create_app`` (``crossheat.api.app``) builds the FastAPI application; each group of
routes lives in its own module (``stacks``, ``resources``, ``catalog``, ``software``)
and reaches the service only through the request's ``RequestContext``
(``crossheat.api.context``). Errors take Heat's fault shape (``crossheat.api.errors``).
Request bodies are read as Heat reads them (``bodies``), query parameters with Heat's
typing (``query``); ``/openapi.json`` describes every route (``openapi``, ``schemas``).
"""
