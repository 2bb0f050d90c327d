"""What every layer stands on: the testbed clock and its event loop, the
message types, the lines that carry them, and the exception tree.
"""
