"""Connect API operations on metrics (see docs/api.md, "Metrics").

One module per operation holds its handler: current_metrics.py
(GetCurrentMetricData, from the event log at an instant), metric_data_v2.py
(GetMetricDataV2) and metric_data.py (GetMetricData), both over the contact
records with the definitions in historical_metrics.py.  Importing this module
registers all three.
"""

from __future__ import annotations

from testbed.server.connect_api import current_metrics, metric_data, metric_data_v2

__all__ = ["current_metrics", "metric_data", "metric_data_v2"]
