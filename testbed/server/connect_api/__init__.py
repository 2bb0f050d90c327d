"""The Amazon Connect API (REST-JSON, as botocore's service model defines it) over HTTP.

``testbed serve`` answers it beside ``/v1/``: point boto3 at the server
(``boto3.client("connect", endpoint_url="http://127.0.0.1:8080")``, any
region and credentials) and the operations docs/api.md lists run against the
simulated centre.  dispatch.py routes and answers; model.py holds the request
model; one module per family of operations (contacts, directory, flows,
metrics) holds their handlers.
"""

from testbed.server.connect_api.dispatch import connect_api
from testbed.server.connect_api.errors import ApiError

__all__ = ["ApiError", "connect_api"]
