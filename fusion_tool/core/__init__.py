"""The core: what every layer shares. Errors (the one exception tree), configuration (the one
place that reads the environment), schemas, usage, events, logs and transcript helpers.

Imports nothing else of fusion-tool.
"""
