"""The served testbed: the HTTP/WebSocket app and the remote endpoints behind it.
"""
