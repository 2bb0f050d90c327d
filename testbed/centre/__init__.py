"""The contact centre itself: the switchboard, routing, the flow host, agents,
contacts and queues, and the ``Testbed`` facade that builds them.
"""
