"""The modes: what a request is (``plan``: alias, tool or pass), alias mode, tool mode (the
interceptor loop), the deliberation gate, tool mode's continuation memory, the SDK objects a
fused answer is shaped into, and ``serve``, the one function every front calls.

Imports only the pipeline, the provider layer and the core.
"""
