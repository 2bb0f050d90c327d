"""Load runs: scenario files, the distributions they name, runs, reports,
plots, queueing theory and the built-in demos.
"""
