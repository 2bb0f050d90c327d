"""Contact records: the event log, the record service that keeps it, the
fold that turns events into records, durable stores, exports and metrics.
"""
