"""The provider layer: the one place that calls an OpenAI-compatible provider (``upstream``),
its retry policy (``retry``), what each provider accepts (``dialect``) and where every HTTP
client is made (``http``).

Imports only ``fusion_tool.core``.
"""
